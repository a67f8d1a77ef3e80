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
    intervals_measured: list[int] = field(default_factory=list)
    """First input beats of consecutive images (back to back), measured and modelled."""
    intervals_model: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check(
    net: Network,
    ctx: RtlCtx,
    images: np.ndarray,
    obs: Observed,
    *,
    timing: bool = True,
    spikes: bool = True,
) -> CheckResult:
    """Compare ``obs`` with the golden model; ``timing`` also compares every image's latency (and, for
    images streamed back to back, the interval between them) with the cycle model (only meaningful
    without idle input cycles and output back-pressure)."""
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
        b = beats[m * (ncls + 1) : (m + 1) * (ncls + 1)]
        scores = [v for _, v, _ in b[:ncls]]
        lasts = [last for _, _, last in b]
        if (
            scores != res.scores[m].tolist()
            or b[-1][1] != int(res.classes[m])
            or lasts != [0] * ncls + [1]
        ):
            bad.add(m)
            errors.append(
                f"image {m}: scores {scores} class {b[-1][1]} tlast {lasts}; golden "
                f"{res.scores[m].tolist()} class {int(res.classes[m])}"
            )
        first_in = obs.in_beats[obs.starts[m]]
        measured.append(b[-1][0] - first_in + 1)
    if spikes and obs.dbg is not None:
        got = {
            i: np.zeros((n, len(res.trace.phases), s.och * s.lanes, s.npos), dtype=np.int64)
            for i, s in enumerate(ctx.stages)
            if not s.is_output
        }
        r = obs.reset_image
        for _, epoch, stg, img, step, addr, pos, neg in obs.dbg:
            m = img if epoch == 0 else img + r
            if stg not in got or m >= n or (epoch == 0 and 0 <= r <= img):
                continue
            s = ctx.stages[stg]
            p, ch = divmod(addr, s.och)
            for lane in range(s.lanes):
                got[stg][m, step, ch * s.lanes + lane, p] = ((pos >> lane) & 1) - (
                    (neg >> lane) & 1
                )
        for i, g in got.items():
            want = res.trace.spikes[names[i]]  # (steps, N, ...)
            want = want.reshape(want.shape[0], want.shape[1], want.shape[2], -1).transpose(
                1, 0, 2, 3
            )
            for m in range(n):
                if not np.array_equal(g[m, :, : want.shape[2]], want[m]):
                    bad.add(m)
                    ks = np.nonzero(
                        (g[m, :, : want.shape[2]] != want[m]).reshape(len(g[m]), -1).any(axis=1)
                    )[0]
                    errors.append(
                        f"image {m}: layer {names[i]!r} spikes differ at steps {ks.tolist()}"
                    )
    # the cycle model streams images back to back from an empty core: a reset in the middle of the
    # stream starts a new stream at the abandoned image
    r = obs.reset_image
    model: list[int] = []
    imodel: list[int] = []
    intervals: list[int] = []
    for a, b in [(0, n)] if r < 0 else [(0, r), (r, n)]:
        if b <= a:
            continue
        e = est if (a, b) == (0, n) else estimate(ctx.hw, images[a:b])
        model += (e.alone if obs.isolated else e.cycles).tolist()
        imodel += e.interval[:-1].tolist()
        intervals += np.diff([obs.in_beats[s] for s in obs.starts[a:b]]).tolist()
    for m, cyc in enumerate(measured):
        if timing and cyc != int(model[m]):
            errors.append(f"image {m}: measured {cyc} cycles, model {int(model[m])}")
    if timing and not obs.isolated and intervals != imodel:
        errors.append(f"intervals between images: measured {intervals}, model {imodel}")
    return CheckResult(
        n,
        len(bad) + max(0, n - len(beats) // (ncls + 1)),
        measured,
        model,
        est.lower_bound.tolist(),
        errors,
        intervals,
        imodel,
    )


__all__ = ["CheckResult", "check"]
