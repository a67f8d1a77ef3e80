"""Models a user brings, built here, each through the whole CLI flow on a few images:
convert -> build -> csim -> rtlsim, bit-exact against the golden model."""

from __future__ import annotations

import numpy as np
import pytest

from fpgasnn.cli import main
from fpgasnn.data import load_dataset
from fpgasnn.ir.serialize import load

pytestmark = [pytest.mark.keras, pytest.mark.slow, pytest.mark.tool]


def _digits_nhwc():
    x, y = load_dataset("digits", "train")
    return x.transpose(0, 2, 3, 1) / 255.0, y


def _fit(model, x, y, keras3=False):
    if keras3:
        from fpgasnn.keras.tf_env import keras3 as k3

        K = k3()
        model.compile(
            optimizer=K.optimizers.Adam(1e-2),
            loss=K.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
    else:
        from fpgasnn.keras.tf_env import tf_keras

        K = tf_keras()
        model.compile(
            K.optimizers.Adam(1e-2), K.losses.SparseCategoricalCrossentropy(from_logits=True)
        )
    model.fit(x, y, epochs=2, batch_size=64, verbose=0)


def _generated(shape_hwc, n=600, seed=0):
    """Images whose class is the brightest of 10 fixed random patterns (uint8 NHWC), labels."""
    rng = np.random.default_rng(seed)
    patterns = rng.random((10, *shape_hwc))
    y = rng.integers(0, 10, n)
    x = 0.6 * patterns[y] + 0.4 * rng.random((n, *shape_hwc))
    return np.rint(x * 255).astype(np.uint8), y


def float_cnn(tmp):
    from fpgasnn.keras.tf_env import tf_keras

    K = tf_keras()
    L = K.layers
    m = K.Sequential(
        [
            L.InputLayer((8, 8, 1)),
            L.Conv2D(6, 3, padding="same", activation="relu", name="c1"),
            L.AveragePooling2D(2),
            L.Conv2D(8, 3, name="c2"),
            L.ReLU(name="r2"),
            L.Flatten(),
            L.Dense(10, name="out"),
        ],
        name="floatcnn",
    )
    _fit(m, *_digits_nhwc())
    m.save(tmp / "m.h5")
    return tmp / "m.h5", ["--dataset", "digits"]


def odd_names(tmp):
    """Layer names that are C++ / Verilog keywords, start with a digit, hold '-' or '.', or collide
    after sanitising; a strided 'same' convolution without bias."""
    from fpgasnn.keras.tf_env import tf_keras

    K = tf_keras()
    L = K.layers
    inp = K.Input((8, 8, 1), name="input")
    h = L.Conv2D(4, 3, strides=2, padding="same", use_bias=False, name="module")(inp)
    h = L.ReLU(name="1relu")(h)
    h = L.Conv2D(6, 3, padding="same", use_bias=False, name="conv-a.b")(h)
    h = L.BatchNormalization(name="reg")(h)
    h = L.ReLU(name="conv_a_b")(h)
    h = L.Flatten(name="wire")(h)
    h = L.Dense(12, name="class")(h)
    h = L.ReLU(name="always")(h)
    m = K.Model(inp, L.Dense(10, name="int")(h), name="names")
    _fit(m, *_digits_nhwc())
    m.save(tmp / "m.h5")
    return tmp / "m.h5", ["--dataset", "digits"]


def maxpool(tmp):
    from fpgasnn.keras.tf_env import tf_keras

    K = tf_keras()
    L = K.layers
    m = K.Sequential(
        [
            L.InputLayer((8, 8, 1)),
            L.Conv2D(6, 3, padding="same", activation="relu", name="c"),
            L.MaxPooling2D(2, name="mp"),
            L.Flatten(),
            L.Dense(10, name="o"),
        ],
        name="mp",
    )
    _fit(m, *_digits_nhwc())
    m.save(tmp / "m.h5")
    return tmp / "m.h5", ["--dataset", "digits", "--replace-maxpool"]


def keras3_cnn(tmp):
    from fpgasnn.keras.tf_env import keras3

    K = keras3()
    L = K.layers
    m = K.Sequential(
        [
            K.Input((8, 8, 1)),
            L.Conv2D(6, 3, padding="same", name="c"),
            L.BatchNormalization(name="bn"),
            L.ReLU(name="r"),
            L.AveragePooling2D(2),
            L.Flatten(),
            L.Dense(10, name="o"),
            L.Softmax(),
        ],
        name="k3",
    )
    x, y = _digits_nhwc()
    m.compile(optimizer=K.optimizers.Adam(1e-2), loss=K.losses.SparseCategoricalCrossentropy())
    m.fit(x, y, epochs=2, batch_size=64, verbose=0)
    m.save(tmp / "m.keras")
    return tmp / "m.keras", ["--dataset", "digits"]


def rgb32(tmp):
    """A 32x32x3 model on generated data from the user's .npz (uint8, NHWC)."""
    from fpgasnn.keras.tf_env import tf_keras

    K = tf_keras()
    L = K.layers
    x, y = _generated((32, 32, 3))
    np.savez(tmp / "d.npz", x=x, y=y)
    m = K.Sequential(
        [
            L.InputLayer((32, 32, 3)),
            L.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="c1"),
            L.AveragePooling2D(2),
            L.Conv2D(8, 3, activation="relu", name="c2"),
            L.GlobalAveragePooling2D(name="gap"),
            L.Dense(10, name="o"),
        ],
        name="rgb",
    )
    _fit(m, x / 255.0, y)
    m.save(tmp / "m.h5")
    return tmp / "m.h5", ["--data", str(tmp / "d.npz")]


def qkeras_nonsquare(tmp):
    """QKeras on 10x14x2 generated float data (x / 255, with --input-scale): a fused ReLU followed by
    a QActivation, po2 weights."""
    from fpgasnn.keras.tf_env import tf_keras

    K = tf_keras()  # before QKeras is imported: it must bind to tf_keras
    from qkeras import QActivation, QConv2D, QDense, quantized_bits, quantized_po2, quantized_relu

    L = K.layers
    x, y = _generated((10, 14, 2), seed=1)
    np.savez(tmp / "d.npz", x=x / 255.0, y=y)
    m = K.Sequential(
        [
            L.InputLayer((10, 14, 2)),
            QConv2D(6, 3, activation="relu", kernel_quantizer=quantized_po2(4), name="qc"),
            QActivation(quantized_relu(3, 1), name="qa"),
            L.Flatten(),
            QDense(10, kernel_quantizer=quantized_bits(6, 0, alpha=1), name="qd"),
        ],
        name="q",
    )
    _fit(m, x / 255.0, y)
    m.save(tmp / "m.h5")
    return tmp / "m.h5", ["--data", str(tmp / "d.npz"), "--input-scale", "1/255"]


def input_quantizer(tmp):
    """QActivation(quantized_bits(8, 0)) on the input: signed 8-bit pixels, its codes; the user's
    float data x / 255 (NHWC) are quantized as Keras quantizes them."""
    from fpgasnn.keras.tf_env import tf_keras

    K = tf_keras()  # before QKeras is imported: it must bind to tf_keras
    from qkeras import QActivation

    L = K.layers
    x, y = _digits_nhwc()
    np.savez(tmp / "d.npz", x_train=x[:1000], y_train=y[:1000], x_test=x[1000:], y_test=y[1000:])
    m = K.Sequential(
        [
            L.InputLayer((8, 8, 1)),
            QActivation("quantized_bits(8, 0)", name="in_q"),
            L.Conv2D(6, 3, padding="same", activation="relu", name="c1"),
            L.AveragePooling2D(2),
            L.Flatten(),
            L.Dense(10, name="o"),
        ],
        name="inq",
    )
    _fit(m, x, y)
    m.save(tmp / "m.h5")
    return tmp / "m.h5", ["--data", str(tmp / "d.npz")]


@pytest.mark.parametrize(
    "make",
    [float_cnn, odd_names, maxpool, keras3_cnn, rgb32, qkeras_nonsquare, input_quantizer],
    ids=lambda f: f.__name__,
)
def test_convert_build_csim_rtlsim(make, tmp_path, capsys, require):
    require("g++", "ap_types", "verilator")

    from fpgasnn.keras.tf_env import keras3, tf_keras

    # seeded weights and training: unseeded, the 32x32x3 model now and then trained a dead ReLU
    # layer, which convert rightly refuses (no positive activation to set its threshold from)
    tf_keras().utils.set_random_seed(0)
    keras3().utils.set_random_seed(0)
    model, data = make(tmp_path)
    snn, prj, inputs = tmp_path / "net.snn", tmp_path / "prj", tmp_path / "in.npy"
    assert (
        main(["convert", str(model), *data, "-T", "2", "--calib-images", "64", "-o", str(snn)]) == 0
    )
    net = load(snn)
    assert main(["build", str(snn), "-o", str(prj)]) == 0
    if "--data" in data:  # the user's images, encoded as the .snn records
        sims = [["--data", data[1], "-n", "8"], ["--data", data[1], "-n", "3"]]
        if make is input_quantizer:
            assert net.input.signed and net.meta["input_encoding"]["step"] == 1 / 128
    else:
        x = load_dataset("digits", "test")[0]
        np.save(tmp_path / "in8.npy", np.ascontiguousarray(x[:8]))
        np.save(inputs, np.ascontiguousarray(x[:3]))
        sims = [["--inputs", str(tmp_path / "in8.npy")], ["--inputs", str(inputs)]]
    capsys.readouterr()
    assert main(["csim", str(prj), *sims[0]]) == 0
    assert "bit-exact: 0 mismatches" in capsys.readouterr().out
    assert main(["rtlsim", str(prj), *sims[1]]) == 0
    out = capsys.readouterr().out
    assert "3 images" in out and "0 mismatches" in out
