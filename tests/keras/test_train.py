from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.keras


def test_train_digits_tiny_and_convert(tmp_path, monkeypatch):
    """A 2-epoch digits run through the Python API: saved, cached, converted, logits reproduced."""
    from fpgasnn.data import load_dataset
    from fpgasnn.keras.evaluate import keras_logits
    from fpgasnn.keras.frontend import from_keras, load_model
    from fpgasnn.keras.train import cached_reference_model, default_spec

    monkeypatch.setenv("FPGASNN_CACHE", str(tmp_path))
    spec = default_spec("digits", epochs=2, conv=(8,), hidden=16)
    path = cached_reference_model("digits", spec)
    assert path == tmp_path / "models" / f"digits-{spec.key()}.h5" and path.is_file()
    mtime = path.stat().st_mtime_ns
    assert cached_reference_model("digits", spec).stat().st_mtime_ns == mtime  # not retrained
    xt, _ = load_dataset("digits", "test")
    net = from_keras(path)
    a, b = net.forward(xt), keras_logits(load_model(path), xt)
    assert np.mean(np.all(np.isclose(a, b, atol=1e-4), axis=1)) >= 0.99


def test_train_cli_digits(tmp_path):
    out = tmp_path / "d.keras"
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "fpgasnn",
            "train",
            "--dataset",
            "digits",
            "--epochs",
            "1",
            "--conv",
            "4",
            "--hidden",
            "8",
            "-o",
            str(out),
            "--no-progress",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert "training time" in res.stdout and "test top-1" in res.stdout and out.is_file()


@pytest.mark.slow
@pytest.mark.parametrize("dataset,target", [("mnist", 99.0), ("fashion_mnist", 90.0)])
def test_reference_models_reach_target(dataset, target):
    from fpgasnn.data import load_dataset
    from fpgasnn.keras.evaluate import evaluate_keras
    from fpgasnn.keras.frontend import from_keras, load_model
    from fpgasnn.keras.train import cached_reference_model

    path = cached_reference_model(dataset)
    x, y = load_dataset(dataset, "test")
    assert evaluate_keras(load_model(path), x, y) >= target
    net = from_keras(path)
    assert 100 * np.mean(net.forward(x[:2000]).argmax(1) == y[:2000]) >= target - 1.5


def test_sparsity_term_cuts_spikes(tmp_path, monkeypatch):
    """Issue 12's lever at the source: the same digits CNN trained with the activation-sparsity
    term spikes far less (every spike is an event of the next layer) and still classifies."""
    from fpgasnn.convert.floatnet import FAct
    from fpgasnn.data import load_dataset
    from fpgasnn.keras.frontend import from_keras
    from fpgasnn.keras.train import cached_reference_model, default_spec

    monkeypatch.setenv("FPGASNN_CACHE", str(tmp_path))
    xt, yt = load_dataset("digits", "test")

    def spikes_and_top1(sparsity: float) -> tuple[float, float]:
        spec = default_spec("digits", conv=(8,), hidden=16, sparsity=sparsity)
        net = from_keras(cached_reference_model("digits", spec))
        outs = net.forward(xt, keep=True)
        acts = [a for a in net.layers if isinstance(a, FAct)]
        spikes = sum(float(np.sum(outs[a.name])) / a.lam * a.levels for a in acts) / len(xt)
        top1 = 100.0 * float(np.mean(np.argmax(outs[net.layers[-1].name], axis=1) == yt))
        return spikes, top1

    dense, dense_top1 = spikes_and_top1(0.0)
    sparse, sparse_top1 = spikes_and_top1(0.3)
    assert sparse < 0.6 * dense, (dense, sparse)
    assert dense_top1 > 88.0 and sparse_top1 > dense_top1 - 3.0, (dense_top1, sparse_top1)
