"""Seeded random test images over a network's input range (test benches, automatic lanes)."""

from __future__ import annotations

import numpy as np

from fpgasnn.ir.network import Network


def random_images(net: Network, n: int, seed: int = 0) -> np.ndarray:
    """``n`` images of uniformly random pixels over the input layer's full range (int64)."""
    lo, hi = net.input.value_range
    rng = np.random.default_rng(seed)
    return rng.integers(lo, hi + 1, size=(n, *net.input.shape), dtype=np.int64)


__all__ = ["random_images"]
