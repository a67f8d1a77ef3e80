from __future__ import annotations

import numpy as np
import pytest

from fpgasnn.convert.floatnet import FAct

pytestmark = pytest.mark.keras


@pytest.fixture(scope="module")
def tf():
    from fpgasnn.keras.tf_env import tf_keras

    tf_keras()
    import tensorflow

    return tensorflow


@pytest.mark.parametrize("shift", [0.5, 0.0])
def test_forward_matches_floatnet_fact(tf, shift):
    from fpgasnn.keras.layers import ClipFloorShift

    layer = ClipFloorShift(levels=4, threshold=1.5, shift=shift)
    z = np.random.default_rng(0).normal(0, 1.5, size=(64, 33)).astype(np.float32)
    got = layer(z).numpy()
    want = FAct("a", 4, 1.5, shift)(z.astype(np.float64))
    np.testing.assert_allclose(got, want, atol=1e-6)
    assert len(np.unique(got)) == 5  # levels 0..4


def test_straight_through_gradient(tf):
    from fpgasnn.keras.layers import ClipFloorShift

    layer = ClipFloorShift(levels=4, threshold=2.0)
    x = tf.constant([-1.0, 0.3, 1.1, 1.9, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = layer(x)
        s = tf.reduce_sum(y)
    gx = tape.gradient(s, x).numpy()
    # d/dx: 1 where the clipped value x*L/lam + 0.5 is inside [0, L], 0 outside
    np.testing.assert_allclose(gx, [0.0, 1.0, 1.0, 1.0, 0.0])
    glam = tape.gradient(s, layer.threshold).numpy()
    # d/dlam of lam*clip(...)/L: saturated element -> 1; inner ones -> their level/L - x/lam
    lam, q = 2.0, np.array([0.0, 1.0, 2.0, 4.0, 4.0])
    inner = q[1:4] / 4 - np.array([0.3, 1.1, 1.9]) / lam
    assert glam == pytest.approx(1.0 + inner.sum(), abs=1e-6)


def test_noisy_quantization_only_in_training(tf):
    from fpgasnn.keras.layers import ClipFloorShift

    tf.random.set_seed(1)
    layer = ClipFloorShift(levels=4, threshold=1.0, noise_p=0.1)
    x = tf.constant(
        np.random.default_rng(1).uniform(0.01, 0.99, size=(200, 100)).astype(np.float32)
    )
    quant = layer(x, training=False).numpy()
    train = layer(x, training=True).numpy()
    passed = ~np.isclose(train, quant)
    np.testing.assert_allclose(
        train[passed], x.numpy()[passed]
    )  # passed through as clip(x, 0, lam)
    assert 0.08 < passed.mean() < 0.11  # about p (ties where x is already on a level are rare)
    assert np.all(np.isin(np.round(quant * 4, 5), [0, 1, 2, 3, 4]))


def test_config_roundtrip_and_bad_arguments(tf):
    from fpgasnn.keras.layers import ClipFloorShift

    layer = ClipFloorShift(levels=8, threshold=3.0, shift=0.0, noise_p=0.1, sparsity=0.5, name="q")
    cfg = layer.get_config()
    again = ClipFloorShift.from_config(cfg)
    got = (again.levels, again.initial_threshold, again.shift, again.noise_p, again.sparsity)
    assert got == (8, 3.0, 0.0, 0.1, 0.5) and again.name == "q"
    with pytest.raises(ValueError, match="levels must be >= 1"):
        ClipFloorShift(levels=0)
    with pytest.raises(ValueError, match="noise_p must be in"):
        ClipFloorShift(noise_p=1.0)
    with pytest.raises(ValueError, match="sparsity must be >= 0"):
        ClipFloorShift(sparsity=-0.1)


def test_noisy_layer_trains_in_fit_and_saves(tf, tmp_path):
    """Stage I (noise_p > 0) inside model.fit (graph mode), then a .keras round trip."""
    from fpgasnn.keras.custom_objects import custom_objects
    from fpgasnn.keras.layers import ClipFloorShift
    from fpgasnn.keras.tf_env import tf_keras

    K = tf_keras()
    model = K.Sequential(
        [
            K.layers.InputLayer((6,)),
            K.layers.Dense(8),
            ClipFloorShift(levels=2, threshold=1.0, noise_p=0.1, name="n"),
            K.layers.Dense(2),
        ]
    )
    model.compile("adam", K.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    before = float(model.get_layer("n").threshold.numpy())
    model.fit(
        rng.normal(size=(64, 6)).astype(np.float32), rng.integers(0, 2, 64), epochs=2, verbose=0
    )
    assert float(model.get_layer("n").threshold.numpy()) != before  # lambda is trained
    path = tmp_path / "n.keras"
    model.save(path)
    again = K.models.load_model(path, custom_objects=custom_objects())
    assert again.get_layer("n").noise_p == 0.1 and again.get_layer("n").levels == 2
    assert float(again.get_layer("n").threshold.numpy()) == float(
        model.get_layer("n").threshold.numpy()
    )
