"""hls4ml's C simulation of a tiny QKeras model agrees exactly with Keras (the hls4ml baseline's premise)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import need

pytestmark = [pytest.mark.keras, pytest.mark.tool, pytest.mark.slow]


def _tiny_model(seed: int = 0):
    from fpgasnn.baselines.tf_setup import tf_keras

    tfk = tf_keras()
    from qkeras import QActivation, QConv2D, QDense, quantized_bits, quantized_relu

    tfk.utils.set_random_seed(seed)
    L = tfk.layers
    x = inp = L.Input(shape=(8, 8, 1), name="image")
    x = QConv2D(
        3,
        3,
        padding="same",
        kernel_quantizer=quantized_bits(6, 0, alpha=1),
        bias_quantizer=quantized_bits(6, 0, alpha=1),
        bias_initializer="random_uniform",
        name="conv1",
    )(x)
    x = QActivation(quantized_relu(3, 1), name="act1")(x)
    x = L.AveragePooling2D(2, name="pool1")(x)
    x = L.Flatten(name="flatten")(x)
    x = QDense(
        5,
        kernel_quantizer=quantized_bits(6, 0, alpha=1),
        bias_quantizer=quantized_bits(6, 0, alpha=1),
        name="fc",
    )(x)
    return tfk.Model(inp, x)


def test_hls4ml_csim_matches_keras_exactly(tmp_path):
    need("g++", "ap_types")
    pytest.importorskip("hls4ml")
    from fpgasnn.baselines import hls4ml as hb

    model = _tiny_model()
    rng = np.random.default_rng(1)
    x = (rng.integers(0, 256, size=(64, 8, 8, 1)) / 256.0).astype(np.float32)
    keras_out = model.predict(x, verbose=0)
    base = hb.convert(model, tmp_path / "prj")
    csim_out = base.predict(x)
    assert csim_out.shape == (64, 5)
    np.testing.assert_array_equal(csim_out, keras_out.astype(np.float64))
    assert hb.ann_macs(model) == {"conv1": 8 * 8 * 3 * 9, "fc": 48 * 5}
