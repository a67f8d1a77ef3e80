"""Small hand-built FloatNets for tests and examples (NumPy only, no training)."""

from __future__ import annotations

import numpy as np

from fpgasnn.convert.floatnet import FAct, FConv, FDense, FFlatten, FInput, FloatNet, FPool


def tiny_floatnet(seed: int = 0, levels: int = 4, shift: float = 0.5) -> FloatNet:
    """(1, 8, 8) image -> conv 4x3x3 (same) -> act -> pool 2 -> flatten -> dense 16 -> act -> dense 10.

    Weights are random but sized so that every layer has neurons at every level for random images.
    """
    rng = np.random.default_rng(seed)
    w1 = rng.normal(0.0, 0.6, (4, 1, 3, 3))
    b1 = rng.normal(0.0, 0.1, 4)
    w2 = rng.normal(0.0, 0.5, (16, 4 * 4 * 4))
    b2 = rng.normal(0.1, 0.1, 16)
    w3 = rng.normal(0.0, 0.5, (10, 16))
    return FloatNet(
        (
            FInput("image", (1, 8, 8), scale=1.0 / 255.0),
            FConv("conv1", w1, b1, 1, (1, 1, 1, 1)),
            FAct("act1", levels, 1.0, shift),
            FPool("pool1", 2),
            FFlatten("flatten"),
            FDense("fc2", w2, b2),
            FAct("act2", levels, 1.5, shift),
            FDense("logits", w3, rng.normal(0.0, 0.1, 10)),
        ),
        meta={"source": f"tiny_floatnet(seed={seed})"},
    )


def single_neuron(weight: float, levels: int = 2, lam: float = 1.0, shift: float = 0.5) -> FloatNet:
    """One input pixel -> one hidden neuron (``z = weight * pixel / 255``) -> a 2-class output."""
    return FloatNet(
        (
            FInput("image", (1,), scale=1.0 / 255.0),
            FDense("fc1", np.array([[weight]]), None),
            FAct("act1", levels, lam, shift),
            FDense("logits", np.array([[1.0], [-1.0]]), None),
        ),
        meta={"source": "single_neuron"},
    )


def random_images(n: int, shape: tuple[int, ...] = (1, 8, 8), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, *shape), dtype=np.uint8)
