from __future__ import annotations

import numpy as np
import pytest

from fpgasnn.data.userdata import encode, read_npz, to_layout
from fpgasnn.errors import DataError


def test_layouts_map_to_channel_first():
    rng = np.random.default_rng(0)
    nchw = rng.integers(0, 256, (5, 3, 4, 6), dtype=np.uint8)
    nhwc = nchw.transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(to_layout(nhwc, (3, 4, 6)), nchw)
    np.testing.assert_array_equal(to_layout(nchw, (3, 4, 6)), nchw)
    one = rng.integers(0, 256, (5, 4, 6), dtype=np.uint8)
    np.testing.assert_array_equal(to_layout(one, (1, 4, 6))[:, 0], one)
    flat = to_layout(nhwc, (72,))
    np.testing.assert_array_equal(flat, nhwc.reshape(5, -1))  # flattened in the order given
    with pytest.raises(
        DataError,
        match=r"images of shape \(5, 4, 6, 3\) do not fit the model input; "
        r"expected \(N, 4, 4, 3\) NHWC or \(N, 3, 4, 4\) NCHW",
    ):
        to_layout(nhwc, (3, 4, 4), "data")


def test_encode_integer_float_and_signed():
    q, bits, signed = encode(np.array([[0, 17, 255]], np.uint8), 1 / 255)
    assert q.dtype == np.uint8 and (bits, signed) == (8, False) and q.tolist() == [[0, 17, 255]]
    x = np.array([[0, 17, 255]], np.float32) / 255.0
    q, bits, signed = encode(x, 1 / 255)
    assert q.tolist() == [[0, 17, 255]] and (bits, signed) == (8, False)
    q, bits, signed = encode(np.array([[-1.0, 0.5, 1.0]]), 1 / 128)
    assert q.tolist() == [[-128, 64, 128]] and (bits, signed) == (9, True)
    with pytest.raises(DataError, match=r"pixel values 0\.\.1e\+06 .* need more than 16 bits"):
        encode(np.array([[0.0, 1.0]]), 1e-6)


def test_read_npz_sets_and_labels(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (6, 4, 4, 1), dtype=np.uint8)
    onehot = np.eye(3)[[0, 1, 2, 2, 1, 0]]
    p = tmp_path / "one.npz"
    np.savez(p, x=x, y=onehot)
    d = read_npz(p)
    assert not d.split and d.y_train.tolist() == [0, 1, 2, 2, 1, 0] and d.x_test is d.x_train
    p2 = tmp_path / "two.npz"
    np.savez(p2, x_train=x, y_train=np.arange(6), x_test=x[:2], y_test=np.array([[1], [2]]))
    d = read_npz(p2)
    assert d.split and d.y_test.tolist() == [1, 2] and len(d.x_train) == 6


def test_read_npz_errors(tmp_path):
    with pytest.raises(DataError, match=r"--data '.*nope\.npz': no such file"):
        read_npz(tmp_path / "nope.npz")
    bad = tmp_path / "bad.npz"
    bad.write_text("not a zip")
    with pytest.raises(DataError, match=r"not a readable \.npz file"):
        read_npz(bad)
    p = tmp_path / "keys.npz"
    np.savez(p, images=np.zeros((2, 4)))
    with pytest.raises(
        DataError,
        match=r"expected arrays 'x' \(and 'y'\), or 'x_train'/'y_train' and "
        r"'x_test'/'y_test'; found \['images'\]",
    ):
        read_npz(p)
    np.savez(p, x=np.zeros((3, 4)), y=np.zeros(2))
    with pytest.raises(DataError, match=r"'y' must hold one label per image \(3\)"):
        read_npz(p)
    np.savez(p, x=np.zeros((3, 4)), y=np.array([0.5, 1, 2]))
    with pytest.raises(DataError, match=r"'y' holds non-integer labels"):
        read_npz(p)


def test_input_encoding_plain_and_quantizer():
    from fpgasnn.data.userdata import InputEncoding, pixel_width

    assert pixel_width(0, 255) == (8, False) and pixel_width(-128, 127) == (8, True)
    assert pixel_width(0, 1) == (1, False) and pixel_width(-127, 127) == (8, True)
    plain = InputEncoding(input_scale=1 / 255)
    assert plain.unit == 1 / 255 and plain.width is None
    q, bits, signed = plain.pixels(np.array([[0.0, 1.0, 0.5]]))
    assert q.tolist() == [[0, 255, 128]] and (bits, signed) == (8, False)
    # a quantizer: codes clip(round(v / step), lo, hi), halves to even, as TensorFlow rounds
    enc = InputEncoding(input_scale=1.0, step=0.5, lo=-4, hi=3, quantizer="q")
    assert enc.unit == 0.5 and enc.width == (3, True)
    q, bits, signed = enc.pixels(np.array([[-9.0, -0.25, 0.25, 0.75, 1.25, 9.0]]))
    assert q.tolist() == [[-4, 0, 0, 2, 2, 3]] and (bits, signed) == (3, True)
    q, _, _ = enc.pixels(np.array([[1, 2, 7]], dtype=np.uint8))  # integer data: fed as x * 1.0
    assert q.tolist() == [[2, 3, 3]]
    meta = {"input_encoding": enc.to_meta()}
    assert InputEncoding.from_meta(meta) == enc
    assert InputEncoding.from_meta(meta, 0.25).input_scale == 0.25
    assert InputEncoding.from_meta({}) == InputEncoding()  # an older .snn: 1/255, no quantizer
    assert InputEncoding.from_meta({"input_scale": 1.0}).input_scale == 1.0
