"""Bring your own model: Keras 3, float ReLU networks, QKeras patterns, flat inputs (front end level)."""

from __future__ import annotations

import numpy as np
import pytest

from fpgasnn.convert.floatnet import FAct, FConv, FDense, FFlatten, FInput
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
def K3():
    from fpgasnn.keras.tf_env import keras3

    k = keras3()
    k.utils.set_random_seed(0)
    return k


@pytest.fixture(scope="module")
def digits():
    x, y = load_dataset("digits", "train")
    xt, yt = load_dataset("digits", "test")
    return x, y, xt, yt


def _logits_agree(net, model, images, frac=0.99, **kw):
    from fpgasnn.keras.evaluate import keras_logits

    a = net.forward(images, **kw)
    b = keras_logits(model, images)
    close = np.all(np.isclose(a, b, rtol=1e-4, atol=1e-4), axis=1)
    assert close.mean() >= frac, f"only {close.mean():.4f} agree, max err {np.abs(a - b).max()}"


def test_keras3_float_relu_cnn_matches_keras(K3, digits):
    """A Keras 3 CNN (fused and separate ReLU, BN, strided same conv without bias, final softmax):
    with every ReLU's threshold above its largest output, the float view is Keras exactly."""
    from fpgasnn.keras.frontend import from_keras

    L = K3.layers
    model = K3.Sequential(
        [
            K3.Input((8, 8, 1)),
            L.Conv2D(6, 3, padding="same", activation="relu", name="c1"),
            L.AveragePooling2D(2, name="p1"),
            L.Conv2D(8, 3, strides=2, padding="same", use_bias=False, name="c2"),
            L.BatchNormalization(name="bn"),
            L.ReLU(name="r2"),
            L.Flatten(name="f"),
            L.Dense(10, name="out"),
            L.Softmax(name="sm"),
        ],
        name="k3cnn",
    )
    rng = np.random.default_rng(0)
    bn = model.get_layer("bn")
    bn.set_weights(
        [
            rng.uniform(0.5, 1.5, 8),
            rng.normal(0, 0.2, 8),
            rng.normal(0, 0.2, 8),
            rng.uniform(0.3, 2.0, 8),
        ]
    )
    x, _, xt, _ = digits
    net = from_keras(model, calib_images=x[:300], relu_percentile=100.0)
    assert net.meta["frontend"] == "keras3"
    assert [type(layer) for layer in net.layers] == [
        FInput,
        FConv,
        FAct,
        type(net.layers[3]),
        FConv,
        FAct,
        FFlatten,
        FDense,
    ]
    assert net.layers[4].padding == (0, 1, 0, 1) and net.layers[4].bias is not None  # BN bias
    assert set(net.meta["relu_thresholds"]) == {"c1/relu", "r2"}
    # Keras' softmax is monotone: compare classes on the float (clipped ReLU) view.
    from fpgasnn.keras.evaluate import keras_logits

    same = np.mean(net.forward(xt, quantized=False).argmax(1) == keras_logits(model, xt).argmax(1))
    assert same >= 0.99


def test_relu6_and_max_value_are_clips(K, digits):
    from fpgasnn.keras.frontend import from_keras

    L = K.layers
    model = K.Sequential(
        [
            L.InputLayer((8, 8, 1)),
            L.Conv2D(4, 3, name="c"),
            L.ReLU(max_value=2.5, name="r"),
            L.Flatten(),
            L.Dense(6, activation="relu6", name="d"),
            L.Dense(10, name="o"),
        ]
    )
    net = from_keras(
        model, relu_levels=5
    )  # no calibration images needed: the clips are the thresholds
    assert [(a.name, a.levels, a.lam) for a in net.activations()] == [
        ("r", 5, 2.5),
        ("d/relu6", 5, 6.0),
    ]
    assert net.meta["relu_thresholds"] == {}
    _logits_agree(net, model, digits[2], quantized=False)


def test_fused_relu_then_qactivation_is_one_activation(K, digits):
    from qkeras import QActivation, QConv2D, QDense, quantized_bits, quantized_po2, quantized_relu

    from fpgasnn.keras.frontend import from_keras

    L = K.layers
    model = K.Sequential(
        [
            L.InputLayer((8, 8, 1)),
            QConv2D(4, 3, activation="relu", kernel_quantizer=quantized_po2(4), name="qc"),
            QActivation(quantized_relu(3, 1), name="qa"),
            L.Flatten(),
            QDense(10, kernel_quantizer=quantized_bits(4, 0, alpha=1), name="qd"),
        ],
        name="fusedq",
    )
    rng = np.random.default_rng(2)
    for layer in model.layers:
        if layer.get_weights():
            layer.set_weights(
                [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in layer.get_weights()]
            )
    net = from_keras(model)  # no calibration: the fused ReLU disappears into the QActivation
    assert [(a.name, a.levels, a.lam) for a in net.activations()] == [("qa", 7, 1.75)]
    qc = model.get_layer("qc")
    w = qc.kernel_quantizer_internal(qc.kernel).numpy()
    np.testing.assert_allclose(net.layers[1].weight, w.transpose(3, 2, 0, 1))
    nz = np.abs(w[w != 0])
    np.testing.assert_allclose(
        np.log2(nz), np.round(np.log2(nz))
    )  # powers of two: po2 read through
    _logits_agree(net, model, digits[2], frac=0.97)


def test_relu_after_quantized_activation_is_dropped(K):
    from fpgasnn.keras.frontend import from_keras
    from fpgasnn.keras.layers import ClipFloorShift

    L = K.layers
    model = K.Sequential(
        [
            L.InputLayer((8, 8, 1)),
            L.Conv2D(4, 3, name="c"),
            ClipFloorShift(name="q"),
            L.ReLU(name="r"),
            L.Flatten(),
            L.Dense(10, name="o"),
        ]
    )
    assert [a.name for a in from_keras(model).activations()] == ["q"]
    two = K.Sequential(
        [
            L.InputLayer((8, 8, 1)),
            L.Conv2D(4, 3, name="c"),
            ClipFloorShift(name="q1"),
            ClipFloorShift(name="q2"),
            L.Flatten(),
            L.Dense(10, name="o"),
        ]
    )
    with pytest.raises(FrontendError, match=r"activation 'q2' directly follows activation 'q1'"):
        from_keras(two)


def test_quantized_relu_with_more_levels_than_T_converts(K, digits):
    from qkeras import QActivation

    from fpgasnn.convert.evaluate import evaluate_conversion
    from fpgasnn.keras.frontend import from_keras

    L = K.layers
    model = K.Sequential(
        [
            L.InputLayer((8, 8, 1)),
            L.Conv2D(6, 3, name="c"),
            QActivation("quantized_relu(6, 2)", name="qa"),
            L.Flatten(),
            L.Dense(10, name="o"),
        ],
        name="q6",
    )
    model.compile(K.optimizers.Adam(3e-3), K.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(digits[0].transpose(0, 2, 3, 1) / 255.0, digits[1], epochs=3, verbose=0)
    net = from_keras(model)
    assert net.activations()[0].levels == 63
    rec = evaluate_conversion(net, digits[2], digits[3], 4, "qcfs", float_sim=False)
    assert rec["T"] == 4 and rec["total_steps"] == 4
    assert rec["snn_top1_pct"] > 50  # measured (10 classes: chance is 10 %), not refused


def test_flat_input_mlp_keras3(K3, digits):
    from fpgasnn.keras.frontend import from_keras

    L = K3.layers
    model = K3.Sequential(
        [
            K3.Input((64,)),
            L.Dense(16, activation="relu", name="h"),
            L.Dropout(0.1),
            L.Dense(10, name="o"),
        ],
        name="mlp",
    )
    x, _, xt, _ = digits
    net = from_keras(model, calib_images=x[:200], relu_percentile=100.0)
    assert net.input.shape == (64,) and [type(layer) for layer in net.layers] == [
        FInput,
        FDense,
        FAct,
        FDense,
    ]
    _logits_agree(net, model, xt.reshape(len(xt), -1), quantized=False)


def test_one_error_names_every_problem(K3):
    """LeakyReLU, tanh, a merge and a softmax in the middle: one error naming all four."""
    from fpgasnn.keras.frontend import from_keras

    L = K3.layers
    inp = K3.Input((8, 8, 1), name="img")
    a = L.Conv2D(4, 3, padding="same", name="a")(inp)
    a = L.LeakyReLU(name="leaky")(a)
    b = L.Conv2D(4, 3, padding="same", name="b")(inp)
    b = L.Activation("tanh", name="tanh")(b)
    h = L.Concatenate(name="concat")([a, b])
    h = L.Softmax(name="mid_softmax")(h)
    out = L.Dense(10, name="o")(L.Flatten(name="f")(h))
    with pytest.raises(UnsupportedLayerError) as e:
        from_keras(K3.Model(inp, out, name="four"))
    assert str(e.value) == (
        "model 'four' cannot be converted, 5 layer(s) with problems (a model converts only as one "
        "chain of layers):\n"
        "  'img' (InputLayer): its output feeds 2 layers ('a', 'b')\n"
        "  'leaky' (LeakyReLU): no handler for this layer class\n"
        "  'tanh' (Activation): activation 'tanh' (supported: linear, relu, relu6, a final softmax)\n"
        "  'concat' (Concatenate): merges 2 inputs ('leaky', 'tanh'); no handler for this layer class\n"
        "  'mid_softmax' (Softmax): softmax before the last layer"
    )


def test_keras3_file_loads(K3, tmp_path, digits):
    from fpgasnn.keras.frontend import from_keras, load_model

    L = K3.layers
    model = K3.Sequential(
        [
            K3.Input((8, 8, 1)),
            L.Conv2D(4, 3, activation="relu6", name="c"),
            L.Flatten(),
            L.Dense(10, name="o"),
        ],
        name="saved3",
    )
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = load_model(path)
    assert type(loaded).__module__.startswith("keras")
    net = from_keras(path)
    assert net.meta["source"] == str(path) and net.meta["frontend"] == "keras3"
    _logits_agree(net, loaded, digits[2], quantized=False)


def test_auto_percentile_picks_the_best_candidate(K, digits):
    """One plain ReLU: "auto" keeps the candidate whose quantized network's outputs are closest to
    the float network's on the calibration images (smallest mean softmax KL divergence)."""
    from fpgasnn.convert.relu_calibration import AUTO_PERCENTILES, output_divergence
    from fpgasnn.keras.frontend import from_keras

    L = K.layers
    model = K.Sequential(
        [
            L.InputLayer((8, 8, 1)),
            L.Conv2D(6, 3, activation="relu", name="c"),
            L.Flatten(),
            L.Dense(10, name="o"),
        ],
        name="auto",
    )
    model.compile(K.optimizers.Adam(1e-2), K.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(digits[0].transpose(0, 2, 3, 1) / 255.0, digits[1], epochs=2, verbose=0)
    calib = digits[0][:300]
    ref = from_keras(model, calib_images=calib, relu_percentile=100).forward(calib, quantized=False)
    # threshold at the maximum: the clipped view is the float network

    def divergence(net):
        return output_divergence(ref, net.forward(calib))

    auto = from_keras(model, calib_images=calib, relu_levels=2, relu_percentile="auto")
    chosen = auto.meta["relu_percentiles"]["c/relu"]
    assert chosen in AUTO_PERCENTILES and auto.meta["relu_percentile"] == "auto"
    scores = {
        p: divergence(from_keras(model, calib_images=calib, relu_levels=2, relu_percentile=p))
        for p in AUTO_PERCENTILES
    }
    assert divergence(auto) == min(scores.values()) == scores[chosen]
    assert output_divergence(ref, ref) == 0.0


@pytest.mark.parametrize(
    "quantizer, step, lo, hi, bits, signed",
    [
        ("quantized_bits(8, 0)", 1 / 128, -128, 127, 8, True),
        ("quantized_bits(6, 2, keep_negative=False)", 1 / 16, 0, 63, 6, False),
        ("quantized_relu(8, 0)", 1 / 256, 0, 255, 8, False),
    ],
)
def test_input_quantizer_becomes_the_input_encoding(
    K, digits, quantizer, step, lo, hi, bits, signed
):
    """A quantizer right after the Input (a Dropout between) is the input encoding: its codes are the
    SNN's pixels, each worth its step, so the first layer receives exactly what Keras' quantizer
    passes on; the rest of the network sees the same values as Keras."""
    from qkeras import QActivation

    from fpgasnn.keras.evaluate import keras_logits
    from fpgasnn.keras.frontend import from_keras, input_encoding

    L = K.layers
    model = K.Sequential(
        [
            L.InputLayer((8, 8, 1), name="pixels"),
            L.Dropout(0.2),
            QActivation(quantizer, name="in_q"),
            L.Conv2D(6, 3, activation="relu", name="c"),
            L.Flatten(),
            L.Dense(10, name="o"),
        ],
        name="inq",
    )
    x = digits[0]  # uint8, fed to Keras as x / 255
    fed = x.transpose(0, 2, 3, 1).astype(np.float32) * np.float32(1 / 255)
    enc = input_encoding(model, 1 / 255)
    assert (enc.step, enc.lo, enc.hi, enc.width) == (step, lo, hi, (bits, signed))
    assert "in_q" in enc.quantizer
    px, b, s = enc.pixels(x)
    assert (b, s) == (bits, signed) and px.dtype.kind in "iu"
    seen = K.Model(model.inputs, model.get_layer("in_q").output)(fed).numpy()
    np.testing.assert_array_equal(px.transpose(0, 2, 3, 1) * step, seen)  # exactly, not close
    net = from_keras(model, calib_images=px, relu_percentile=100.0)
    assert net.input.scale == step and (net.input.bits, net.input.signed) == (bits, signed)
    assert [type(layer) for layer in net.layers] == [FInput, FConv, FAct, FFlatten, FDense]
    assert net.meta["input_encoding"] == enc.to_meta()
    # the integer pixels fed to Keras (pixels * step) give Keras' own outputs on the raw data (up to
    # the float summation order of different batch sizes)
    np.testing.assert_allclose(
        keras_logits(model, px, input_scale=step),
        np.asarray(model(fed, training=False)),
        rtol=0,
        atol=1e-5,
    )
    a, b = net.forward(px, quantized=False), np.asarray(model(fed, training=False))
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)  # threshold at the maximum: float view
    # float data take the same route (Keras is fed the floats themselves)
    fpx, _, _ = enc.pixels(fed.transpose(0, 3, 1, 2))
    assert np.mean(fpx == px) > 0.999


def test_input_quantizer_that_cannot_map_is_one_error(K):
    """A data-dependent scale, a power-of-two quantizer and a plain ReLU on the input are refused,
    each with its reason, in the one error with the model's other problems."""
    from qkeras import QActivation

    from fpgasnn.keras.frontend import from_keras

    L = K.layers

    def model(first, name):
        return K.Sequential(
            [
                L.InputLayer((8, 8, 1)),
                first,
                L.Conv2D(4, 3, name="c"),
                L.LeakyReLU(name="leaky"),
                L.Flatten(),
                L.Dense(10, name="o"),
            ],
            name=name,
        )

    cases = [
        (
            QActivation("quantized_bits(4, 0, alpha='auto')", name="qa"),
            "alpha='auto' scales by each batch's values, not a fixed grid",
        ),
        (QActivation("quantized_po2(4)", name="qa"), "'quantized_po2(4)' on the input (need"),
        (L.ReLU(name="qa"), "an activation directly on the input"),
    ]
    for i, (first, why) in enumerate(cases):
        with pytest.raises(UnsupportedLayerError) as e:
            from_keras(model(first, f"m{i}"), calib_images=np.zeros((4, 1, 8, 8), np.uint8))
        lines = str(e.value).splitlines()
        assert lines[0] == f"model 'm{i}' cannot be converted, 2 layer(s) with problems:"
        assert lines[1].startswith(f"  'qa' ({type(first).__name__}): ") and why in lines[1]
        assert lines[2] == "  'leaky' (LeakyReLU): no handler for this layer class"


def test_demo_flow_steps_on_user_data(K, digits, tmp_path):
    """The demo's model / convert / golden steps with --model, --data and --replace-maxpool: a float
    ReLU CNN with max pooling, calibrated on the file's x_train, measured on its x_test."""
    from fpgasnn import flow

    L = K.layers
    model = K.Sequential(
        [
            L.InputLayer((8, 8, 1)),
            L.Conv2D(6, 3, padding="same", activation="relu", name="c"),
            L.MaxPooling2D(2, name="mp"),
            L.Flatten(),
            L.Dense(10, name="o"),
        ],
        name="demo_user",
    )
    x, y, xt, yt = digits
    model.compile(K.optimizers.Adam(1e-2), K.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x.transpose(0, 2, 3, 1) / 255.0, y, epochs=3, verbose=0)
    model.save(tmp_path / "m.h5")
    np.savez(
        tmp_path / "d.npz",
        x_train=x.transpose(0, 2, 3, 1) / 255.0,  # NHWC floats: encoded back to 0..255
        y_train=y,
        x_test=xt.transpose(0, 2, 3, 1) / 255.0,
        y_test=yt,
    )
    cfg = flow.FlowConfig(
        T=2,
        method="qcfs",
        model=tmp_path / "m.h5",
        data=str(tmp_path / "d.npz"),
        replace_maxpool=True,
        calib_images=64,
    )
    st = flow.FlowState(cfg, tmp_path / "out", False)
    m = flow.step_model(st)
    np.testing.assert_array_equal(st.test[0], xt)  # the file's x_test, as the SNN's pixels
    assert m.data["ann_q_top1_pct"] > 50
    flow.step_convert(st)
    meta = st.net.meta
    assert meta["data_file"] == str(tmp_path / "d.npz") and meta["dataset"] == ""
    assert meta["maxpool_replaced"] == ["mp"] and list(meta["relu_thresholds"]) == ["c/relu"]
    assert meta["calibration_source"] == f"{tmp_path / 'd.npz'} 'x_train'"
    assert len(meta["calibration_indices"]) == 64
    g = flow.step_golden(st)
    assert g.data["images"] == len(xt) and g.data["snn_top1_pct"] > 50
