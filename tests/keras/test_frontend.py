from __future__ import annotations

import numpy as np
import pytest

from fpgasnn.convert.floatnet import FAct, FConv, FDense, FFlatten, FInput, FPool
from fpgasnn.data import load_dataset
from fpgasnn.errors import FrontendError, UnsupportedLayerError

pytestmark = pytest.mark.keras


@pytest.fixture(scope="module")
def K():
    from fpgasnn.keras.tf_env import tf_keras

    tfk = tf_keras()
    tfk.utils.set_random_seed(0)
    return tfk


@pytest.fixture(scope="module")
def digits():
    x, y = load_dataset("digits", "train")
    xt, yt = load_dataset("digits", "test")
    return x, y, xt, yt


def _randomize(model, seed=0):
    """Random weights, BN statistics and thresholds that make every layer matter."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        ws = layer.get_weights()
        if not ws:
            continue
        cls = type(layer).__name__
        if cls == "BatchNormalization":
            n = ws[0].shape[0]
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, n),
                    rng.normal(0, 0.2, n),
                    rng.normal(0, 0.2, n),
                    rng.uniform(0.3, 2.0, n),
                ][: len(ws)]
                if len(ws) == 4
                else ws
            )
        elif cls == "ClipFloorShift":
            layer.set_weights([np.float32(rng.uniform(0.8, 2.0))])
        else:
            layer.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in ws])


def _fit(model, tfk, x, y, steps=20, epochs=1):
    from fpgasnn.keras.models import to_input

    model.compile(
        tfk.optimizers.Adam(3e-3), tfk.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    model.fit(to_input(x), y, batch_size=64, epochs=epochs, steps_per_epoch=steps, verbose=0)


def _same_logits(net, model, images, frac=1.0):
    from fpgasnn.keras.evaluate import keras_logits

    a = net.forward(images)
    b = keras_logits(model, images)
    close = np.all(np.isclose(a, b, rtol=1e-4, atol=1e-4), axis=1)
    assert close.mean() >= frac, (
        f"only {close.mean():.4f} of the images agree, max err {np.abs(a - b).max()}"
    )
    return a, b


def _sequential(K, act_shift=0.5):
    from fpgasnn.keras.layers import ClipFloorShift

    L = K.layers
    return K.Sequential(
        [
            L.InputLayer((8, 8, 1), name="img"),
            L.Conv2D(8, 3, padding="same", name="c1"),
            L.BatchNormalization(name="bn1"),
            ClipFloorShift(name="a1", shift=act_shift),
            L.AveragePooling2D(2, name="p1"),
            L.Conv2D(6, 3, strides=2, padding="same", use_bias=False, name="c2"),
            ClipFloorShift(name="a2", shift=act_shift),
            L.Flatten(name="f"),
            L.Dropout(0.2, name="drop"),
            L.Dense(12, use_bias=False, name="d1"),
            L.BatchNormalization(name="bn2"),
            ClipFloorShift(name="a3"),
            L.Dense(10, name="out"),
        ],
        name="seq",
    )


def test_sequential_trained_on_digits_matches_keras(K, digits):
    x, y, xt, _ = digits
    model = _sequential(K)
    _fit(model, K, x, y)
    from fpgasnn.keras.frontend import from_keras

    net = from_keras(model)
    kinds = [type(layer) for layer in net.layers]
    assert kinds == [FInput, FConv, FAct, FPool, FConv, FAct, FFlatten, FDense, FAct, FDense]
    assert net.input.shape == (1, 8, 8) and net.input.scale == pytest.approx(1 / 255)
    assert (
        net.layers[4].padding == (0, 1, 0, 1)
        and net.layers[4].stride == 2
        and net.layers[4].bias is None
    )
    assert net.layers[1].padding == (1, 1, 1, 1)
    assert net.layers[2].lam == pytest.approx(float(model.get_layer("a1").threshold.numpy()))
    _same_logits(net, model, xt, frac=0.99)


def test_flatten_permutation_and_bn_folding_exact(K, digits):
    """Random weights and BN statistics, CASC floor activations: every image's logits agree."""
    model = _sequential(K, act_shift=0.0)
    _randomize(model, seed=3)
    from fpgasnn.keras.frontend import from_keras

    net = from_keras(model)
    assert net.layers[2].shift == 0.0
    _same_logits(net, model, digits[2], frac=0.99)


def test_functional_qkeras_matches_keras(K, digits):
    from qkeras import QActivation, QConv2D, QDense, quantized_bits, quantized_relu

    from fpgasnn.keras.frontend import from_keras

    L = K.layers
    inp = K.Input((8, 8, 1), name="image")
    h = QConv2D(
        6,
        3,
        strides=2,
        padding="same",
        kernel_quantizer=quantized_bits(4, 0, alpha="auto"),
        bias_quantizer=quantized_bits(8, 2),
        name="qc1",
    )(inp)
    h = QActivation(quantized_relu(3, 1), name="qa1")(h)
    h = QConv2D(
        8,
        3,
        padding="valid",
        kernel_quantizer=quantized_bits(4, 0, alpha="auto"),
        use_bias=False,
        name="qc2",
    )(h)
    h = QActivation("quantized_relu(2, 0)", name="qa2")(h)
    h = L.Flatten(name="flat")(h)
    out = QDense(
        10,
        kernel_quantizer=quantized_bits(6, 0, alpha="auto"),
        bias_quantizer=quantized_bits(8, 2),
        name="qd",
    )(h)
    model = K.Model(inp, out, name="func")
    _fit(model, K, digits[0], digits[1])
    net = from_keras(model)
    acts = net.activations()
    assert [(a.levels, a.lam) for a in acts] == [(7, 1.75), (3, 0.75)]
    conv = net.layers[1]
    kq = model.get_layer("qc1").kernel_quantizer_internal(model.get_layer("qc1").kernel).numpy()
    np.testing.assert_allclose(conv.weight, kq.transpose(3, 2, 0, 1), rtol=1e-6)
    _same_logits(net, model, digits[2], frac=0.97)


def test_plain_relu_needs_calibration(K, digits):
    from fpgasnn.keras.frontend import from_keras

    L = K.layers
    inp = K.Input((8, 8, 1))
    h = L.Conv2D(4, 3, activation="relu", name="c")(inp)
    h = L.ReLU(name="r")(L.Dense(5, name="d")(L.Flatten(name="f")(h)))
    model = K.Model(inp, L.Dense(10, name="out")(h))
    _randomize(model, 1)
    with pytest.raises(
        FrontendError,
        match=r"plain ReLU layer\(s\) 'c/relu', 'r' take their threshold "
        r"from calibration data; pass calib_images",
    ):
        from_keras(model)
    calib = digits[0][:200]
    net = from_keras(model, calib_images=calib, relu_levels=8)
    probe = K.Model(model.inputs, model.get_layer("r").output)
    r = probe.predict(calib.transpose(0, 2, 3, 1).astype(np.float32) / 255, verbose=0)
    lam = net.meta["relu_thresholds"]["r"]
    assert lam == pytest.approx(np.percentile(r[r > 0], 99.9), rel=1e-4)  # float32 Keras vs float64
    assert [(a.name, a.levels) for a in net.activations()] == [("c/relu", 8), ("r", 8)]
    assert net.meta["relu_calibration_images"] == 200


def test_maxpool_error_and_replacement(K, digits):
    from fpgasnn.keras.frontend import from_keras
    from fpgasnn.keras.layers import ClipFloorShift

    L = K.layers
    model = K.Sequential(
        [
            L.InputLayer((8, 8, 1)),
            L.Conv2D(4, 3, padding="same", name="c"),
            ClipFloorShift(name="a"),
            L.MaxPooling2D(2, name="mp"),
            L.Flatten(),
            L.Dense(10, name="out"),
        ]
    )
    with pytest.raises(
        UnsupportedLayerError,
        match=r"'mp' \(MaxPooling2D\): max pooling .*"
        r"replace_maxpool=True \(CLI: --replace-maxpool",
    ):
        from_keras(model)
    net = from_keras(model, replace_maxpool=True)
    assert (
        isinstance(net.layers[3], FPool) and net.layers[3].pool == 2 and net.meta["replace_maxpool"]
    )


def test_all_unsupported_layers_in_one_error(K):
    from fpgasnn.keras.frontend import from_keras

    L = K.layers
    model = K.Sequential(
        [
            L.InputLayer((8, 8, 1)),
            L.Conv2D(4, 3, name="c"),
            L.LayerNormalization(name="ln"),
            L.UpSampling2D(name="up"),
            L.Conv2D(4, 3, activation="tanh", name="ct"),
            L.Flatten(),
            L.Dense(10, name="o"),
        ],
        name="bad",
    )
    with pytest.raises(UnsupportedLayerError) as e:
        from_keras(model)
    assert str(e.value) == (
        "model 'bad' cannot be converted, 3 layer(s) with problems:\n"
        "  'ln' (LayerNormalization): no handler for this layer class\n"
        "  'up' (UpSampling2D): no handler for this layer class\n"
        "  'ct' (Conv2D): fused activation 'tanh' (supported: linear, relu, relu6, a final softmax)"
    )


def test_nested_model_error(K):
    from fpgasnn.keras.frontend import from_keras

    L = K.layers
    inner = K.Sequential([L.InputLayer((8, 8, 1)), L.Conv2D(4, 3)], name="block")
    outer = K.Sequential([L.InputLayer((8, 8, 1)), inner, L.Flatten(), L.Dense(10)], name="outer")
    with pytest.raises(FrontendError, match=r"'block' \(Sequential\): a nested model"):
        from_keras(outer)


def test_branching_graph_error(K):
    from fpgasnn.keras.frontend import from_keras

    L = K.layers
    inp = K.Input((8, 8, 1))
    a = L.Conv2D(4, 3, padding="same", name="left")(inp)
    b = L.Conv2D(4, 3, padding="same", name="right")(inp)
    s = L.Add(name="sum")([a, b])
    model = K.Model(inp, L.Dense(10)(L.Flatten()(s)))
    with pytest.raises(UnsupportedLayerError) as e:
        from_keras(model)
    assert "(a model converts only as one chain of layers):\n" in str(e.value)
    assert (
        "\n  'sum' (Add): merges 2 inputs ('left', 'right'); no handler for this layer class"
        in str(e.value)
    )
    assert "(InputLayer): its output feeds 2 layers ('left', 'right')\n" in str(e.value)
    inp = K.Input((8, 8, 1), name="x")
    c = L.Conv2D(4, 3, padding="same", name="shared")(inp)
    model2 = K.Model(inp, [L.Flatten(name="f1")(c), L.Flatten(name="f2")(c)])
    with pytest.raises(FrontendError, match=r"1 inputs and 2 outputs"):
        from_keras(model2)


def test_wrong_input_shape(K):
    from fpgasnn.keras.frontend import from_keras

    L = K.layers
    model = K.Sequential([L.InputLayer((8, 8), name="hw_in"), L.Flatten(), L.Dense(10, name="o")])
    with pytest.raises(
        FrontendError,
        match=r"input layer 'hw_in': expected an input of shape "
        r"\(None, H, W, C\) or \(None, F\) with known sizes; "
        r"got \(None, 8, 8\)",
    ):
        from_keras(model)
    model = K.Sequential(
        [L.InputLayer((8, 8, 1)), L.Conv2D(2, 3, activation="relu"), L.Flatten(), L.Dense(10)]
    )
    with pytest.raises(
        FrontendError,
        match=r"images of shape \(5, 1, 9, 9\) do not fit the model input; "
        r"expected \(N, 1, 8, 8\)",
    ):
        from_keras(model, calib_images=np.zeros((5, 1, 9, 9), np.uint8))


def test_bn_not_after_conv(K):
    from fpgasnn.keras.frontend import from_keras
    from fpgasnn.keras.layers import ClipFloorShift

    L = K.layers
    model = K.Sequential(
        [
            L.InputLayer((8, 8, 1)),
            L.Conv2D(4, 3, name="c"),
            ClipFloorShift(name="a"),
            L.BatchNormalization(name="bn"),
            L.Flatten(),
            L.Dense(10),
        ]
    )
    with pytest.raises(
        FrontendError, match=r"BatchNormalization 'bn' must directly follow a Conv2D/Dense"
    ):
        from_keras(model)


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_save_load_roundtrip_with_qkeras_and_ours(K, digits, tmp_path, suffix):
    from qkeras import QActivation, QConv2D, QDense, quantized_bits, quantized_relu

    from fpgasnn.keras.frontend import from_keras, load_model
    from fpgasnn.keras.layers import ClipFloorShift

    L = K.layers
    model = K.Sequential(
        [
            L.InputLayer((8, 8, 1)),
            QConv2D(
                4,
                3,
                kernel_quantizer=quantized_bits(4, 0, alpha="auto"),
                bias_quantizer=quantized_bits(8, 2),
                name="qc",
            ),
            L.BatchNormalization(name="bn"),
            ClipFloorShift(levels=3, name="cfs"),
            L.Flatten(),
            QDense(8, kernel_quantizer=quantized_bits(4, 0, alpha="auto"), name="qd"),
            QActivation(quantized_relu(2, 0), name="qa"),
            L.Dense(10, name="o"),
        ],
        name="saved",
    )
    _randomize(model, 5)
    path = tmp_path / f"m{suffix}"
    model.save(path)
    loaded = load_model(path)
    assert type(loaded.get_layer("cfs")).__name__ == "ClipFloorShift"
    net = from_keras(path)
    assert net.meta["source"] == str(path)
    np.testing.assert_allclose(
        net.forward(digits[2][:50]), from_keras(model).forward(digits[2][:50])
    )
    _same_logits(net, loaded, digits[2], frac=0.97)


def test_not_a_model_file(tmp_path):
    from fpgasnn.keras.frontend import load_model

    bad = tmp_path / "notes.h5"
    bad.write_text("this is not a model")
    with pytest.raises(FrontendError, match=r"'.*notes\.h5' is not a readable Keras model file"):
        load_model(bad)
    with pytest.raises(FrontendError, match=r"model file '.*missing\.keras' does not exist"):
        load_model(tmp_path / "missing.keras")


def test_evaluate_keras_quantized_and_float(K, digits):
    from fpgasnn.keras.evaluate import evaluate_keras
    from fpgasnn.keras.frontend import from_keras

    x, y, xt, yt = digits
    model = _sequential(K)
    _fit(model, K, x, y, steps=None, epochs=4)
    net = from_keras(model)
    q = evaluate_keras(model, xt, yt)
    f = evaluate_keras(model, xt, yt, quantized=False)
    assert q == pytest.approx(100 * np.mean(net.forward(xt).argmax(1) == yt), abs=0.6)
    assert f == pytest.approx(
        100 * np.mean(net.forward(xt, quantized=False).argmax(1) == yt), abs=0.6
    )
    assert model.get_layer("a1").quantize  # restored after the float view
    assert q > 30  # well above chance (10 %)


def test_global_average_pooling_and_final_softmax(K, digits):
    from fpgasnn.keras.frontend import from_keras
    from fpgasnn.keras.layers import ClipFloorShift

    L = K.layers
    model = K.Sequential(
        [
            L.InputLayer((8, 8, 1)),
            L.Conv2D(6, 3, padding="same", name="c"),
            ClipFloorShift(name="a"),
            L.GlobalAveragePooling2D(name="gap"),
            L.Dense(10, name="o"),
        ],
        name="gapnet",
    )
    _randomize(model, 7)
    net = from_keras(model)
    assert [type(layer) for layer in net.layers] == [FInput, FConv, FAct, FPool, FFlatten, FDense]
    assert net.layers[3].pool == 8
    _same_logits(net, model, digits[2], frac=0.99)
    soft = K.Sequential(
        [L.InputLayer((8, 8, 1)), L.Flatten(), L.Softmax(name="sm"), L.Dense(10)], name="s"
    )
    with pytest.raises(
        UnsupportedLayerError, match=r"'sm' \(Softmax\): softmax before the last layer"
    ):
        from_keras(soft)
