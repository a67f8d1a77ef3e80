from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from fpgasnn.data import load_dataset, loaders
from fpgasnn.errors import DataError


def test_digits_shapes_scaling_and_split():
    x, y = load_dataset("digits", "train")
    xt, yt = load_dataset("digits", "test")
    assert x.shape == (1437, 1, 8, 8) and xt.shape == (360, 1, 8, 8)
    assert x.dtype == np.uint8 and y.dtype == np.int64
    assert x.max() == 255 and x.min() == 0
    from sklearn.datasets import load_digits

    d = load_digits()
    np.testing.assert_array_equal(x[0, 0], np.rint(d.images[0] * 255 / 16).astype(np.uint8))
    np.testing.assert_array_equal(yt, d.target[1437:])


def test_cached_and_read_only():
    a = load_dataset("digits", "test")
    b = load_dataset("Digits", "test")
    assert a[0] is b[0]
    with pytest.raises(ValueError):
        a[0][0, 0, 0, 0] = 1


def test_mnist_full():
    x, _ = load_dataset("mnist", "train")
    xt, yt = load_dataset("mnist", "test")
    assert x.shape == (60000, 1, 28, 28) and xt.shape == (10000, 1, 28, 28)
    assert x.dtype == np.uint8 and set(np.unique(yt)) == set(range(10))
    assert yt[:5].tolist() == [7, 2, 1, 0, 4]


def test_fashion_mnist_full():
    if not (loaders.FASHION_DIR / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip("apt package dataset-fashion-mnist not installed")
    xt, yt = load_dataset("fashion-mnist", "test")
    assert xt.shape == (10000, 1, 28, 28) and yt[:5].tolist() == [9, 2, 1, 1, 6]


def test_fashion_missing_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(loaders, "FASHION_DIR", tmp_path)
    with pytest.raises(DataError, match=r"apt-get install dataset-fashion-mnist"):
        loaders._load_fashion("test")


def test_unknown_name_and_split():
    with pytest.raises(
        DataError,
        match=r"unknown data set 'cifar10'; known data sets: mnist, "
        r"fashion_mnist, digits",
    ):
        load_dataset("cifar10")
    with pytest.raises(DataError, match=r"unknown split 'val'"):
        load_dataset("digits", "val")


def test_read_idx_roundtrip_and_corrupt(tmp_path):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    p = tmp_path / "a-idx3-ubyte.gz"
    with gzip.open(p, "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + struct.pack(">3I", 2, 3, 4) + arr.tobytes())
    np.testing.assert_array_equal(loaders.read_idx(p), arr)
    bad = tmp_path / "b-idx1-ubyte"
    bad.write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">I", 5) + b"\x01\x02")
    with pytest.raises(DataError, match="idx header says"):
        loaders.read_idx(bad)
    notidx = tmp_path / "c"
    notidx.write_bytes(b"hello world")
    with pytest.raises(DataError, match="not an idx file"):
        loaders.read_idx(notidx)
