"""to_floatnet reads the QKeras baseline net into fpgasnn's FloatNet with the same arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = [pytest.mark.keras]


def test_floatnet_matches_keras_up_to_rounding_ties():
    from fpgasnn.baselines.tf_setup import tf_keras

    tf_keras()  # sets TF_USE_LEGACY_KERAS before TensorFlow is first imported
    pytest.importorskip("qkeras")
    from fpgasnn.baselines import qkeras_net

    tf_keras().utils.set_random_seed(0)
    spec = qkeras_net.QNetSpec(conv=(4,), hidden=8)
    model = qkeras_net.build(spec, input_shape=(8, 8, 1))
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(50, 1, 8, 8), dtype=np.uint8)
    fnet = qkeras_net.to_floatnet(model)
    assert [type(layer).__name__ for layer in fnet.layers] == [
        "FInput",
        "FConv",
        "FAct",
        "FPool",
        "FFlatten",
        "FDense",
        "FAct",
        "FDense",
    ]
    act = fnet.activations()[0]
    assert (act.levels, act.lam, act.shift) == (3, 0.75, 0.5)
    ours = fnet.forward(pixels.astype(np.int64))
    keras = model.predict(qkeras_net.to_input(pixels), verbose=0)
    # QKeras rounds exact ties to even, FloatNet half up: a few elements may differ by one level.
    assert np.mean(np.isclose(ours, keras, atol=1e-6)) > 0.8
    assert np.mean(np.argmax(ours, 1) == np.argmax(keras, 1)) >= 0.9
