"""The element-wise function of a run of ONNX nodes (Div / Mul / Add / Sub by a scalar, Clip, Relu, Floor,
QONNX Quant), brought to one canonical form and recognised as one activation.

Every run is a composition of three primitives on a scalar ``x``: an affine map ``m x + n``, a clip to
``[lo, hi]`` and ``floor``. Clips commute with increasing affine maps (their bounds move along) and
``floor(clip(v, lo, hi)) == clip(floor(v), floor(lo), floor(hi))``, so any run with at most one floor
and increasing maps is, exactly::

    floored:      y = c * clip(floor(a x + b), qlo, qhi) + d      (qlo, qhi integers)
    not floored:  y = clip(a x + b, lo, hi)

The floored form with a finite, integer ``qlo < qhi`` and ``c * qlo + d == 0`` is ``k * h(x)`` with ``h``
the clip-floor-shift activation ``FAct(L = qhi - qlo, lam = L / a, shift = b - qlo)`` and ``k = c a``
a positive scale that the next Conv/Gemm takes into its weights. So the QCFS code of the papers,
``floor(clamp(x / lam, 0, 1) * L + 0.5) / L * lam`` (Div, Clip, Mul, Add, Floor, Div, Mul) and its
variant with the clamp after the floor, are ``FAct(L, lam, 0.5)``; a QONNX ``Quant`` (unsigned, zero
point 0, rounding ROUND or FLOOR) after a Relu is ``FAct(2**bits - 1, (2**bits - 1) * scale, 0.5 or 0)``.
The not-floored form is a ReLU when ``lo`` is at ``x = 0`` and ``y(0) == 0``: a plain ReLU (no
``hi``: calibrated) or a ReLU clipped at ``(hi - b) / a`` (ReLU6, Hardtanh(0, m), Clip(0, m)).

``ROUND`` is half to even in QONNX and ``floor(v + 0.5)`` here: they differ only where ``v`` is exactly
half-way between two levels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Op = tuple  # ("affine", m, n) | ("clip", lo, hi) | ("floor",)
INF = math.inf
TOL = 1e-6


@dataclass(frozen=True)
class Recognised:
    """What a run computes: ``kind`` "affine" (``y = a x + b``), "act" (``y = k * FAct(levels, lam,
    shift)(x)``), "relu" (``y = k * max(x, 0)``) or "clipped_relu" (``y = k * clip(x, 0, lam)``)."""

    kind: str
    a: float = 1.0
    b: float = 0.0
    levels: int = 0
    lam: float = 0.0
    shift: float = 0.5
    k: float = 1.0


def _near(u: float, v: float, scale: float = 1.0) -> bool:
    return abs(u - v) <= TOL * max(1.0, abs(scale), abs(u), abs(v))


def _as_int(v: float) -> float | None:
    """``v`` if it is (within tolerance) an integer or infinite, as that integer; else None."""
    if math.isinf(v):
        return v
    r = float(round(v))
    return r if _near(v, r) else None


def canonical(ops: list[Op]) -> tuple[dict, str | None]:
    """The canonical form of ``ops`` (module docstring), or (partial, why) if it has none."""
    a, b, lo, hi = 1.0, 0.0, -INF, INF
    floored = False
    c, d, qlo, qhi = 1.0, 0.0, -INF, INF
    for op in ops:
        if op[0] == "affine":
            m, n = float(op[1]), float(op[2])
            if not m > 0:
                return {}, f"a multiplication by {m:g} (only positive scales keep the order)"
            if floored:
                c, d = m * c, m * d + n
            else:
                a, b, lo, hi = m * a, m * b + n, m * lo + n, m * hi + n
        elif op[0] == "clip":
            u, w = float(op[1]), float(op[2])
            if floored:
                u, w = (u - d) / c, (w - d) / c
                if u > qlo + TOL:
                    iu = _as_int(u)
                    if iu is None:
                        return {}, f"a clip at {op[1]:g}, between two quantization levels"
                    qlo = iu
                if w < qhi - TOL:
                    iw = _as_int(w)
                    if iw is None:
                        return {}, f"a clip at {op[2]:g}, between two quantization levels"
                    qhi = iw
                if qlo >= qhi:
                    return {}, "clips that leave a single value"
            else:
                lo, hi = max(lo, u), min(hi, w)
                if not lo < hi:
                    return {}, "clips that leave a single value"
        elif op[0] == "floor":
            if floored:
                return {}, "two roundings in one activation"
            floored = True
            qlo, qhi = math.floor(lo) if lo > -INF else -INF, math.floor(hi) if hi < INF else INF
            if not qlo < qhi:
                return {}, "a clip to less than one quantization step"
        else:  # pragma: no cover -- ops are built by the handlers
            raise ValueError(op)
    return {
        "floored": floored,
        "a": a,
        "b": b,
        "lo": lo,
        "hi": hi,
        "c": c,
        "d": d,
        "qlo": qlo,
        "qhi": qhi,
    }, None


def recognise(ops: list[Op]) -> tuple[Recognised | None, str | None]:
    """What ``ops`` computes as one activation (or an affine map), or (None, why not)."""
    f, why = canonical(ops)
    if why is not None:
        return None, why
    a, b = f["a"], f["b"]
    if f["floored"]:
        c, d, qlo, qhi = f["c"], f["d"], f["qlo"], f["qhi"]
        if qlo == -INF:
            return None, "quantization levels with no lower clip (negative outputs)"
        if qhi == INF:
            return None, "quantization levels with no upper clip (unbounded levels)"
        L = int(qhi - qlo)
        if not _near(c * qlo + d, 0.0, c * L):
            return None, (
                f"its lowest level is {c * qlo + d:g}, not 0 (a signed or offset quantizer has "
                "no spiking equivalent here)"
            )
        shift = b - qlo
        if abs(shift) < TOL:
            shift = 0.0
        if not 0.0 <= shift < 1.0:
            return None, f"rounding offset {shift:g} (need 0 <= offset < 1: floor or round)"
        if L > 1 << 16:
            return None, f"{L} levels (at most 65536)"
        k = c * a
        return Recognised(
            "act", levels=L, lam=L / a, shift=shift, k=1.0 if _near(k, 1.0) else k
        ), None
    lo, hi = f["lo"], f["hi"]
    if lo == -INF and hi == INF:
        return Recognised("affine", a=a, b=b), None
    if lo == -INF:
        return None, "a clip from above only (no ReLU below it)"
    scale = max(abs(a), abs(hi) if hi < INF else 1.0)
    if not (_near(lo, 0.0, scale) and _near(b, 0.0, scale)):
        return None, f"a clip at x = {(lo - b) / a:g} to {lo:g} (a ReLU clips at x = 0 to 0)"
    k = 1.0 if _near(a, 1.0) else a
    if hi == INF:
        return Recognised("relu", k=k), None
    return Recognised("clipped_relu", lam=(hi - b) / a, k=k), None


def evaluate(ops: list[Op], x: np.ndarray) -> np.ndarray:
    """``ops`` applied to ``x`` with NumPy (float64)."""
    y = np.asarray(x, dtype=np.float64)
    for op in ops:
        if op[0] == "affine":
            y = y * op[1] + op[2]
        elif op[0] == "clip":
            y = np.clip(y, op[1], op[2])
        else:
            y = np.floor(y)
    return y
