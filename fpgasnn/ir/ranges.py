"""Range analysis: the smallest signed width that provably holds every accumulator value.

For every legal input image (pixels anywhere in the Input's range) and every step of the schedule, the
analysis bounds, per output channel, (a) one step's synaptic current, (b) every membrane value a neuron
can hold (after adding the current and after the reset, initial membrane included), (c) the output
accumulator. Bounds are interval arithmetic, so they are sound but not always tight; the widths stored
in the IR (``current_bits``, ``membrane_bits``, ``acc_bits``) are the smallest two's-complement widths
that contain these intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from fpgasnn.errors import RangeError
from fpgasnn.ir.network import Network
from fpgasnn.ir.nodes import AvgPool2D, Neuron, NeuronKind, Output


@dataclass(frozen=True)
class Interval:
    lo: int
    hi: int

    def hull(self, other: Interval) -> Interval:
        return Interval(min(self.lo, other.lo), max(self.hi, other.hi))

    @property
    def bits(self) -> int:
        return signed_bits(self.lo, self.hi)


def signed_bits(lo: int, hi: int) -> int:
    """Smallest B >= 2 with -2**(B-1) <= lo and hi <= 2**(B-1) - 1."""
    b = 2
    while lo < -(1 << (b - 1)) or hi > (1 << (b - 1)) - 1:
        b += 1
    return b


@dataclass(frozen=True)
class RangeReport:
    """Per layer name: the interval of one step's current, of membranes, of the output accumulator."""

    current: dict[str, Interval]
    membrane: dict[str, Interval]
    spikes: dict[str, Interval]


def weight_shift(weight: np.ndarray) -> int:
    """The largest k with every weight a multiple of 2**k (0 for all-zero weights).

    The back ends store ``weight >> k`` and shift the products back, so weights refined by resolution
    bits (:func:`fpgasnn.convert.snnspec.choose_res_bits`) cost no wider ROM."""
    nz = np.abs(np.asarray(weight, dtype=np.int64)[np.asarray(weight) != 0])
    if nz.size == 0:
        return 0
    g = int(np.bitwise_or.reduce(nz))
    return (g & -g).bit_length() - 1


def _channel_current(
    weight: np.ndarray, bias: np.ndarray | None, lo: int, hi: int, bias_on: bool
) -> tuple[np.ndarray, np.ndarray]:
    w = weight.reshape(weight.shape[0], -1)
    if w.size and int(np.abs(w).max()) * w.shape[1] >= (1 << 62):
        raise RangeError(f"weights too large for range analysis (max |w| = {int(np.abs(w).max())})")
    wpos = np.where(w > 0, w, 0).sum(axis=1).astype(object)
    wneg = np.where(w < 0, w, 0).sum(axis=1).astype(object)
    lo0, hi0 = min(lo, 0), max(hi, 0)  # zero padding / silent inputs are always possible
    cmax = wpos * hi0 + wneg * lo0
    cmin = wpos * lo0 + wneg * hi0
    if bias_on and bias is not None:
        b = bias.astype(object)
        cmax, cmin = cmax + b, cmin + b
    return cmin, cmax


def _step(
    kind: NeuronKind,
    a: np.ndarray,
    b: np.ndarray,
    theta: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Interval of the membrane after the reset, given the interval [a, b] before it (per channel)."""
    # values below theta stay: [a, min(b, theta-1)] (if a < theta);
    # values at or above theta lose theta: [max(a, theta) - theta, b - theta] (if b >= theta)
    keep, fire = a < theta, b >= theta
    lo = np.where(keep, a, a - theta)
    lo = np.where(fire, np.minimum(lo, np.maximum(a, theta) - theta), lo)
    hi = np.where(keep, np.minimum(b, theta - 1), b - theta)
    hi = np.where(fire, np.maximum(hi, b - theta), hi)
    if kind.signed:
        neg = a < 0
        hi = np.where(neg, np.maximum(hi, np.minimum(b, -1) + theta), hi)
    if kind is NeuronKind.CONSISTENT_IF:
        lo, hi = np.minimum(lo, a), np.maximum(hi, b)
    return lo, hi


def analyze(net: Network) -> RangeReport:
    """Sound per-layer intervals for ``net`` (see the module docstring)."""
    sched = net.schedule
    lo, hi = net.input.value_range
    current: dict[str, Interval] = {}
    membrane: dict[str, Interval] = {}
    spikes: dict[str, Interval] = {}
    for st in net.stages():
        for t in st.transforms:
            if isinstance(t, AvgPool2D):
                k2 = t.pool * t.pool
                lo, hi = lo * k2, hi * k2
        syn = st.synapse
        on_lo, on_hi = _channel_current(syn.weight, syn.bias, lo, hi, bias_on=True)
        if st.is_first:
            sl_lo = sl_hi = np.zeros_like(on_lo)
        else:
            sl_lo, sl_hi = _channel_current(syn.weight, syn.bias, lo, hi, bias_on=False)
        use_sleep = sched.sleep > 0
        c_lo = min(on_lo.min(), sl_lo.min()) if use_sleep else on_lo.min()
        c_hi = max(on_hi.max(), sl_hi.max()) if use_sleep else on_hi.max()
        current[syn.name] = Interval(int(c_lo), int(c_hi))
        act = st.activation
        if isinstance(act, Output):
            acc_hull = Interval(0, 0)
            for steps in (
                ([("on", sched.presim)] if sched.presim else []),
                [("on", sched.wake), ("sleep", sched.sleep)],
            ):
                a = np.zeros_like(on_lo)
                b = np.zeros_like(on_hi)
                for phase, n in steps:
                    for _ in range(n):
                        a = a + (on_lo if phase == "on" else sl_lo)
                        b = b + (on_hi if phase == "on" else sl_hi)
                        acc_hull = acc_hull.hull(Interval(int(a.min()), int(b.max())))
            membrane[act.name] = acc_hull
            break
        theta = act.theta
        nch = syn.out_channels
        if act.per_neuron_v0:
            v0 = act.v0.reshape(nch, -1)
            v0_lo = np.array([int(x) for x in v0.min(axis=1)], dtype=object)
            v0_hi = np.array([int(x) for x in v0.max(axis=1)], dtype=object)
        else:
            v0_lo = np.full(nch, act.v0, dtype=object)
            v0_hi = np.full(nch, act.v0, dtype=object)
        hull = Interval(int(v0_lo.min()), int(v0_hi.max()))
        runs = []
        if sched.presim:
            runs.append((v0_lo, v0_hi, [("on", sched.presim)]))
            v0_lo, v0_hi = v0_lo - theta, v0_hi + theta
        runs.append((v0_lo, v0_hi, [("on", sched.wake), ("sleep", sched.sleep)]))
        for a, b, steps in runs:
            hull = hull.hull(Interval(int(a.min()), int(b.max())))
            for phase, n in steps:
                i_lo, i_hi = (on_lo, on_hi) if phase == "on" else (sl_lo, sl_hi)
                for _ in range(n):
                    a, b = a + i_lo, b + i_hi
                    hull = hull.hull(Interval(int(a.min()), int(b.max())))
                    a, b = _step(act.kind, a, b, theta)
                    hull = hull.hull(Interval(int(a.min()), int(b.max())))
        membrane[act.name] = hull
        lo, hi = (-1 if act.kind.signed else 0), 1
        spikes[act.name] = Interval(lo, hi)
    return RangeReport(current, membrane, spikes)


def annotate_widths(net: Network) -> Network:
    """Return ``net`` with ``current_bits``, ``membrane_bits`` and ``acc_bits`` filled in."""
    rep = analyze(net)
    nodes = []
    for n in net.nodes:
        if n.name in rep.current:
            n = replace(n, current_bits=rep.current[n.name].bits)
        elif isinstance(n, Neuron):
            n = replace(n, membrane_bits=rep.membrane[n.name].bits)
        elif isinstance(n, Output):
            n = replace(n, acc_bits=rep.membrane[n.name].bits)
        nodes.append(n)
    bits = [getattr(n, "membrane_bits", None) or getattr(n, "acc_bits", None) for n in nodes]
    if any(b is not None and b > 62 for b in bits):
        raise RangeError(
            f"an accumulator needs more than 62 bits ({bits}); reduce weights or steps"
        )
    return Network(tuple(nodes), net.schedule, dict(net.meta))


__all__ = ["Interval", "RangeReport", "analyze", "annotate_widths", "signed_bits"]
