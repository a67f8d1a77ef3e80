"""Check what the RTL bench observed against the golden model (scores, class, per-step spikes of every
hidden layer) and the cycle model (latency of every image)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fpgasnn.backends.rtl.context import RtlCtx
from fpgasnn.backends.rtl.cycles import estimate
from fpgasnn.backends.rtl.sim import Observed
from fpgasnn.golden import simulate
from fpgasnn.ir.network import Network


@dataclass
class CheckResult:
    images: int
    mismatches: int
    cycles_measured: list[int]
    cycles_model: list[int]
    cycles_lower_bound: list[int]
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check(net: Network, ctx: RtlCtx, images: np.ndarray, obs: Observed, *, timing: bool = True,
          spikes: bool = True) -> CheckResult:
    """Compare ``obs`` with the golden model; ``timing`` also compares latencies with the cycle model
    (only meaningful without idle cycles and back-pressure)."""
    res = simulate(net, images, trace=True)
    est = estimate(ctx.hw, images)
    n = len(images)
    ncls = net.num_classes
    errors: list[str] = []
    beats = obs.out_beats
    if len(beats) != n * (ncls + 1):
        errors.append(f"expected {n * (ncls + 1)} output beats, got {len(beats)}")
    bad = set()
    measured = []
    names = [s.activation.name for s in net.stages()]
    for m in range(min(n, len(beats) // (ncls + 1))):
        b = beats[m * (ncls + 1):(m + 1) * (ncls + 1)]
        scores = [v for _, v, _ in b[:ncls]]
        lasts = [last for _, _, last in b]
        if scores != res.scores[m].tolist() or b[-1][1] != int(res.classes[m]) or lasts != [0] * ncls + [1]:
            bad.add(m)
            errors.append(f"image {m}: scores {scores} class {b[-1][1]} tlast {lasts}; golden "
                          f"{res.scores[m].tolist()} class {int(res.classes[m])}")
        first_in = obs.in_beats[obs.starts[m]]
        measured.append(b[-1][0] - first_in + 1)
        if spikes and obs.dbg is not None:
            lo, hi = first_in, b[-1][0]
            got = {i: np.zeros((len(res.trace.phases), s.och * s.lanes, s.npos), dtype=np.int64)
                   for i, s in enumerate(ctx.stages) if not s.is_output}
            for cyc, stg, step, addr, pos, neg in obs.dbg:
                if lo <= cyc <= hi and stg in got:
                    s = ctx.stages[stg]
                    p, ch = divmod(addr, s.och)
                    for lane in range(s.lanes):
                        v = ((pos >> lane) & 1) - ((neg >> lane) & 1)
                        got[stg][step, ch * s.lanes + lane, p] = v
            for i, g in got.items():
                want = res.trace.spikes[names[i]][:, m]
                want = want.reshape(want.shape[0], want.shape[1], -1)
                if not np.array_equal(g[:, : want.shape[1]], want):
                    bad.add(m)
                    ks = np.nonzero((g[:, : want.shape[1]] != want).reshape(len(g), -1).any(axis=1))[0]
                    errors.append(f"image {m}: layer {names[i]!r} spikes differ at steps {ks.tolist()}")
        if timing and measured[-1] != int(est.cycles[m]):
            errors.append(f"image {m}: measured {measured[-1]} cycles, model {int(est.cycles[m])}")
    return CheckResult(n, len(bad) + max(0, n - len(beats) // (ncls + 1)), measured,
                       est.cycles.tolist(), est.lower_bound.tolist(), errors)


__all__ = ["CheckResult", "check"]
