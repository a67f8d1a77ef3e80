"""Stateless integer ops of the golden model (batched, channel-first).

Matrix products (and the window sums feeding them) run through BLAS in float32 or float64 only when the
exact integer result is provably representable: every partial sum is bounded by the input bound from
range analysis times the largest L1 norm of a weight row, and that bound must stay below 2**24 resp.
2**53 (where those formats represent every integer exactly); otherwise int64. Results are converted back
to int64 at once, so every value that leaves these functions is the exact integer sum. Spikes, membranes,
counters and the output accumulator are integer arrays throughout.
"""

from __future__ import annotations

import numpy as np

from fpgasnn.errors import RangeError
from fpgasnn.ir.nodes import AvgPool2D, Conv2D, Dense, Flatten


def exact_dtype(bound: int) -> type:
    """The fastest dtype whose arithmetic is exact for integers of magnitude <= ``bound``."""
    if bound < (1 << 24):
        return np.float32
    if bound < (1 << 53):
        return np.float64
    if bound >= (1 << 62):
        raise RangeError(f"a synaptic sum may reach {bound}, beyond int64")
    return np.int64


class SynapseKernel:
    """A Conv2D or Dense op prepared for repeated batched evaluation of inputs with |x| <= ``in_bound``.

    Internal layout is channel-LAST: 3-D tensors are (N, H, W, C). ``flat_chw`` is the (C, H, W) shape a
    Dense layer's input had before its Flatten: the weight columns are permuted once so a channel-last
    flatten gives the same sums as the IR's C, H, W order.
    ``dtype`` is the exact carrier chosen from ``in_bound * max_o sum_i |W[o, i]|`` (int64 whatever
    the bound with ``integer_only``).
    """

    def __init__(
        self,
        node: Conv2D | Dense,
        in_bound: int,
        out_dtype: type = np.int64,
        flat_chw: tuple[int, int, int] | None = None,
        integer_only: bool = False,
    ) -> None:
        self.out_dtype = out_dtype
        self.node = node
        w = node.weight
        if isinstance(node, Dense) and flat_chw is not None:
            c, h, wd = flat_chw
            w = w.reshape(w.shape[0], c, h, wd).transpose(0, 2, 3, 1)
        if isinstance(node, Conv2D):
            w = w.transpose(0, 2, 3, 1)  # (O, KH, KW, C): matches the im2col column order below
        w2 = w.reshape(w.shape[0], -1)
        l1_max = int(np.abs(w2).sum(axis=1).max()) if w2.size else 0
        self.dtype = (
            np.int64 if integer_only else exact_dtype(max(int(in_bound), 1) * max(l1_max, 1))
        )
        self.wt = np.ascontiguousarray(w2.T.astype(self.dtype))
        self.bias = None if node.bias is None else node.bias.astype(out_dtype)

    def _matmul(self, x: np.ndarray) -> np.ndarray:
        return np.matmul(x, self.wt).astype(self.out_dtype)

    def __call__(self, x: np.ndarray, bias_on: bool) -> np.ndarray:
        node = self.node
        x = x.astype(self.dtype, copy=False)
        if isinstance(node, Dense):
            out = self._matmul(x.reshape(x.shape[0], -1))
            if bias_on and self.bias is not None:
                out += self.bias
            return out
        n, h, w, c = x.shape
        kh, kw = node.kernel
        pt, pb, pl, pr = node.padding
        s = node.stride
        if any(node.padding):
            xp = np.zeros((n, h + pt + pb, w + pl + pr, c), dtype=x.dtype)
            xp[:, pt : pt + h, pl : pl + w, :] = x
        else:
            xp = x
        ho = (h + pt + pb - kh) // s + 1
        wo = (w + pl + pr - kw) // s + 1
        cols = np.empty((n, ho, wo, kh, kw, c), dtype=x.dtype)
        for i in range(kh):
            for j in range(kw):
                cols[:, :, :, i, j, :] = xp[
                    :, i : i + s * (ho - 1) + 1 : s, j : j + s * (wo - 1) + 1 : s, :
                ]
        out = self._matmul(cols.reshape(n * ho * wo, kh * kw * c))
        if bias_on and self.bias is not None:
            out += self.bias
        return out.reshape(n, ho, wo, -1)


def apply_transform(node: AvgPool2D | Flatten, x: np.ndarray) -> np.ndarray:
    """On channel-last tensors. AvgPool2D: integer window SUM (the 1/k**2 is folded into the next
    threshold); Flatten: to (N, H*W*C) -- the Dense kernel after it permutes its weights to match."""
    if isinstance(node, Flatten):
        return x.reshape(x.shape[0], -1)
    k = node.pool
    _n, h, w, _c = x.shape
    ho, wo = h // k, w // k
    x = x[:, : ho * k, : wo * k]
    if x.dtype.kind != "f" and not (x.dtype == np.int8 and k * k <= 127):
        x = x.astype(np.int64)  # spikes (int8, |s| <= 1) keep int8: a k x k window sum fits
    out = x[:, 0::k, 0::k].copy()
    for i in range(k):
        for j in range(k):
            if i or j:
                out += x[:, i::k, j::k]
    return out


def to_last(a: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (N, H, W, C); other ranks unchanged."""
    return a.transpose(0, 2, 3, 1) if a.ndim == 4 else a


def to_first(a: np.ndarray) -> np.ndarray:
    """(N, H, W, C) -> (N, C, H, W); other ranks unchanged."""
    return a.transpose(0, 3, 1, 2) if a.ndim == 4 else a
