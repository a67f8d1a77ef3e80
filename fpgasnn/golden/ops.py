"""Stateless integer ops of the golden model (batched, channel-first).

Matrix products run through BLAS in float32 or float64 only when the exact integer result is provably
representable (every partial sum below 2**24 resp. 2**53 in magnitude, checked from the actual operands
with the weights' L1 norms); otherwise in int64. The result is converted back to int64 at once, so every
value that leaves these functions is the exact integer sum.
"""

from __future__ import annotations

import numpy as np

from fpgasnn.errors import RangeError
from fpgasnn.ir.nodes import AvgPool2D, Conv2D, Dense, Flatten


def _exact_matmul(x: np.ndarray, wt: np.ndarray, l1_max: int) -> np.ndarray:
    """x (M, K) int @ wt (K, O) int, exactly, as int64."""
    xmax = int(np.abs(x).max()) if x.size else 0
    bound = xmax * l1_max
    if bound < (1 << 24):
        return np.matmul(x.astype(np.float32), wt.astype(np.float32)).astype(np.int64)
    if bound < (1 << 53):
        return np.matmul(x.astype(np.float64), wt.astype(np.float64)).astype(np.int64)
    if bound >= (1 << 62):
        raise RangeError(f"a synaptic sum may reach {bound}, beyond int64")
    return np.matmul(x.astype(np.int64), wt.astype(np.int64))


class SynapseKernel:
    """A Conv2D or Dense op prepared for repeated batched evaluation."""

    def __init__(self, node: Conv2D | Dense) -> None:
        self.node = node
        w2 = node.weight.reshape(node.weight.shape[0], -1)
        self.wt = np.ascontiguousarray(w2.T)
        self.wt32 = self.wt.astype(np.float32)
        self.l1_max = int(np.abs(w2).sum(axis=1).max()) if w2.size else 0
        self.bias = None if node.bias is None else node.bias.astype(np.int64)

    def __call__(self, x: np.ndarray, bias_on: bool) -> np.ndarray:
        node = self.node
        if isinstance(node, Dense):
            out = _exact_matmul(x.reshape(x.shape[0], -1), self.wt, self.l1_max)
            if bias_on and self.bias is not None:
                out += self.bias
            return out
        n, c, h, w = x.shape
        kh, kw = node.kernel
        pt, pb, pl, pr = node.padding
        s = node.stride
        if any(node.padding):
            xp = np.zeros((n, c, h + pt + pb, w + pl + pr), dtype=x.dtype)
            xp[:, :, pt:pt + h, pl:pl + w] = x
        else:
            xp = x
        win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))
        win = win[:, :, ::s, ::s]  # (N, C, Ho, Wo, KH, KW)
        ho, wo = win.shape[2], win.shape[3]
        cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * kh * kw)
        out = _exact_matmul(cols, self.wt, self.l1_max)
        if bias_on and self.bias is not None:
            out += self.bias
        return out.reshape(n, ho, wo, -1).transpose(0, 3, 1, 2)


def apply_transform(node: AvgPool2D | Flatten, x: np.ndarray) -> np.ndarray:
    """AvgPool2D: integer window SUM (the 1/k**2 is folded into the next threshold); Flatten: C,H,W order."""
    if isinstance(node, Flatten):
        return x.reshape(x.shape[0], -1)
    k = node.pool
    n, c, h, w = x.shape
    ho, wo = h // k, w // k
    return x[:, :, : ho * k, : wo * k].reshape(n, c, ho, k, wo, k).sum(axis=(3, 5), dtype=np.int64)
