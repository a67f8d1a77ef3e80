"""The ``fit[PCT]`` lanes setting: the fastest lanes and parallel taps per layer whose estimated LUTs and
block RAMs stay within PCT % (default 90) of a board's.

Fastest means the shortest interval between images, which the slowest layer sets: a layer's busy
cycles per image come from the exact cycle model (:func:`fpgasnn.backends.rtl.cycles.stage_busy`,
on the golden model's spikes of calibration images; they depend on the layer's own lanes and taps
only). Each layer has a few
settings (lanes 1, 2, 4, ... up to its output channels; for a convolution, one tap per cycle or every
tap at once). For a bound W on the slowest layer's work, every layer takes its cheapest setting whose
work is at most W (cost: its estimated LUTs and block RAMs, each as a share of the limit; the estimate
of a stage depends on it and the one before it, :func:`fpgasnn.backends.rtl.estimate.stage_estimate`),
and the core fits or not. The search takes the smallest W, among the work values of all settings,
whose core fits: the interval is as short as the estimate allows. Then, with that interval, the room
left goes to the latency (about the sum of the layers' work): step by step the faster setting of any
layer that saves the most work per share of the limits, while the core fits and a step saves at least
1 %. The result records each layer's setting, its work and cost, why the next smaller bound failed
and what the second phase bought.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from fpgasnn.backends.rtl.context import stage_context
from fpgasnn.backends.rtl.cycles import estimate as cycle_estimate
from fpgasnn.backends.rtl.cycles import producer_spikes, stage_busy
from fpgasnn.backends.rtl.estimate import Estimate, StageEstimate, stage_estimate, total
from fpgasnn.errors import BackendError
from fpgasnn.golden import simulate
from fpgasnn.hw import HwConfig, HwNetwork, HwStage, LanesPolicy, lower
from fpgasnn.hw.config import DEFAULT_FIT_PCT
from fpgasnn.hw.stimulus import random_images
from fpgasnn.ir.network import Network

FIT_RESOURCES = ("LUT", "BRAM_18K")
"""The resources a fitted core must leave room in (DSP: the first layer's products only; FF: the
parts have twice as many as LUTs)."""

Setting = tuple[int, int]
"""(lanes, parallel taps) of one layer."""


@dataclass(frozen=True)
class FitResult:
    """The chosen machine, its estimate, the limits it was fitted to and how it got there."""

    hw: HwNetwork
    estimate: Estimate
    limits: dict[str, int]
    work: tuple[float, ...]
    """Each layer's busy cycles per image at its chosen setting (the cycle model's mean over the
    images the search counted on)."""
    stop: str
    """Why no faster setting was taken."""
    latency_cycles: float
    """The cycle model's mean latency of the images the search used (each into an empty core)."""
    interval_cycles: float
    """The cycle model's mean interval between those images streamed back to back."""
    images: int

    @property
    def lanes(self) -> dict[str, int]:
        return self.hw.lanes

    @property
    def taps(self) -> dict[str, int]:
        return self.hw.taps

    def summary(self) -> list[str]:
        """Lines for a person: the estimate against the limits, each layer's choice, why not faster."""
        e, lim = self.estimate, self.limits
        lines = [
            f"fit: the Verilog core's estimate LUT {e.LUT:,} of {lim['LUT']:,}, BRAM18 {e.BRAM_18K} of "
            f"{lim['BRAM_18K']}, DSP {e.DSP} (an estimate: `fpgasnn synth` gives Yosys's counts)"
        ]
        slowest = max(self.work)
        for st, w, se in zip(self.hw.stages, self.work, e.stages, strict=True):
            lines.append(
                f"  {st.name}: {st.lanes} lane{'s' if st.lanes > 1 else ''} x {st.taps} "
                f"tap{'s' if st.taps > 1 else ''}, ~{w:,.0f} cycles per image"
                + (" (the slowest layer)" if w == slowest else "")
                + f", ~{se.LUT:,} LUT, {se.BRAM_18K} BRAM18"
            )
        lines.append(
            f"  cycle model on the {self.images} images the search counted on: latency "
            f"{self.latency_cycles:,.0f} cycles, interval {self.interval_cycles:,.0f}"
        )
        lines.append(f"  not faster: {self.stop}")
        return lines


def _limits(resources: Mapping[str, int], pct: int) -> dict[str, int]:
    missing = [r for r in FIT_RESOURCES if r not in resources]
    if missing:
        raise BackendError(
            f"lanes fit: the board gives no {', '.join(missing)} (an ECP5 board counts LUT4 and EBR; "
            "the estimate is calibrated on Xilinx parts only): give the lanes yourself"
        )
    LanesPolicy(fit_pct=pct)  # checks the share
    return {r: int(resources[r] * pct // 100) for r in FIT_RESOURCES}


def _settings(st: HwStage, fixed_taps: int | None) -> list[Setting]:
    lanes = sorted({min(1 << k, st.out_c) for k in range(st.out_c.bit_length() + 1)})
    if fixed_taps is not None:
        taps = [fixed_taps]
    elif st.op == "conv" and st.kernel_taps > 1:
        taps = [1, st.kernel_taps]
    else:
        taps = [1]
    return [(n, t) for t in taps for n in lanes]


class _Costs:
    """Stage estimates and work per setting, computed once each."""

    def __init__(self, hw: HwNetwork, images: np.ndarray) -> None:
        self.hw, self.images = hw, images
        self.golden = simulate(hw.net, images, trace=True)
        self.spikes = producer_spikes(hw, self.golden)
        self._cost: dict[tuple[int, Setting, Setting | None], StageEstimate] = {}
        self._work: dict[tuple[int, Setting], float] = {}

    def stage(self, i: int, s: Setting) -> HwStage:
        return replace(self.hw.stages[i], lanes=s[0], taps=s[1])

    def work(self, i: int, s: Setting) -> float:
        """The stage's mean busy cycles per image in the cycle model."""
        if (i, s) not in self._work:
            busy = stage_busy(self.hw, self.stage(i, s), self.images, self.spikes[i])
            self._work[(i, s)] = float(busy.mean())
        return self._work[(i, s)]

    def cost(self, i: int, s: Setting, prev: Setting | None) -> StageEstimate:
        key = (i, s, prev)
        if key not in self._cost:
            stages = list(self.hw.stages)
            stages[i] = self.stage(i, s)
            if i:
                stages[i - 1] = self.stage(i - 1, prev)
            self._cost[key] = stage_estimate(
                stage_context(replace(self.hw, stages=tuple(stages)), i)
            )
        return self._cost[key]


def _select(
    c: _Costs, options: list[list[Setting]], bound: float, limits: Mapping[str, int]
) -> tuple[list[Setting], Estimate] | None:
    """Per layer, the cheapest setting whose work is at most ``bound`` (None: a layer has none)."""
    chosen: list[Setting] = []
    stages: list[StageEstimate] = []
    for i, opts in enumerate(options):
        ok = [s for s in opts if c.work(i, s) <= bound]
        if not ok:
            return None
        prev = chosen[-1] if chosen else None

        def share(s: Setting, i=i, prev=prev) -> tuple[float, float]:
            e = c.cost(i, s, prev)
            return (e.LUT / limits["LUT"] + e.BRAM_18K / limits["BRAM_18K"], c.work(i, s))

        best = min(ok, key=share)
        chosen.append(best)
        stages.append(c.cost(i, best, prev))
    return chosen, total(tuple(stages))


LATENCY_GAIN = 0.01
"""The second phase takes a move only if it shortens the layers' summed work by at least this share."""


def _spend(
    c: _Costs,
    options: list[list[Setting]],
    chosen: list[Setting],
    est: Estimate,
    limits: Mapping[str, int],
) -> tuple[list[Setting], Estimate, list[str]]:
    """The second phase: speed up the layers further (the latency is about the sum of the layers'
    work; every move makes a layer faster, so the interval cannot grow) while the core still fits:
    each step takes, over all layers, the faster setting with the most work saved per share of the
    limits it costs (a faster setting that is also cheaper first)."""
    start = list(chosen)

    def core(sel: list[Setting]) -> Estimate:
        return total(tuple(c.cost(i, s, sel[i - 1] if i else None) for i, s in enumerate(sel)))

    def share(e: Estimate) -> float:
        return e.LUT / limits["LUT"] + e.BRAM_18K / limits["BRAM_18K"]

    while True:
        now = sum(c.work(i, s) for i, s in enumerate(chosen))
        best = None
        for i, opts in enumerate(options):
            for s in opts:
                saved = c.work(i, chosen[i]) - c.work(i, s)
                if saved < LATENCY_GAIN * now:
                    continue
                sel = chosen[:i] + [s] + chosen[i + 1 :]
                e = core(sel)
                if not _fits(e, limits):
                    continue
                rate = saved / max(share(e) - share(est), 1e-9)
                if best is None or rate > best[0]:
                    best = (rate, sel, e, i, s)
        if best is None:
            spent = [
                f"{c.hw.stages[i].name} {a[0]} x {a[1]} -> {b[0]} x {b[1]}"
                for i, (a, b) in enumerate(zip(start, chosen, strict=True))
                if a != b
            ]
            return chosen, est, spent
        _, chosen, est, _, _ = best


def _fits(e: Estimate, limits: Mapping[str, int]) -> bool:
    return all(getattr(e, r) <= limits[r] for r in FIT_RESOURCES)


def _fixed_taps(net: Network, taps) -> dict[str, int | None]:
    """Per layer: None where the search chooses the taps, else the taps the lowering resolves."""
    if taps == "auto":
        return {st.synapse.name: None for st in net.stages()}
    hw = lower(net, HwConfig.make(1, taps=taps))
    return {s.name: s.taps for s in hw.stages}


def fit(
    net: Network,
    resources: Mapping[str, int],
    pct: int = DEFAULT_FIT_PCT,
    taps: str | int | Mapping[str, str | int] = "auto",
    images: np.ndarray | None = None,
    board: str = "the board",
    write_register: bool = False,
) -> FitResult:
    """The fastest lanes and taps of ``net`` whose estimate fits ``pct`` % of ``resources`` (a board's
    ``resources``); ``taps``: "auto" lets the search choose per convolution, anything else (1, "all",
    a per-layer mapping) fixes them; ``images``: the calibration images whose golden spikes the
    cycle model counts on (default: 16 seeded random images, as for automatic lanes);
    ``write_register``: the core of the ECP5 build (:attr:`HwConfig.write_register`), its cost and
    its cycles."""
    limits = _limits(resources, pct)
    fixed = _fixed_taps(net, taps)
    hw = lower(net, HwConfig.make(1, taps=1, write_register=write_register))
    x = random_images(net, 16, 0) if images is None else np.asarray(images)
    c = _Costs(hw, x)
    options = [_settings(st, fixed[st.name]) for st in hw.stages]
    bounds = sorted({c.work(i, s) for i, opts in enumerate(options) for s in opts})
    failed = None
    for bound in bounds:
        sel = _select(c, options, bound, limits)
        if sel is None:
            continue
        chosen, est = sel
        if _fits(est, limits):
            break
        failed = (bound, est)
    else:
        e = failed[1] if failed else None
        raise BackendError(
            f"lanes fit: no setting fits {pct} % of {board} ({limits['LUT']:,} LUT, "
            f"{limits['BRAM_18K']} BRAM18)"
            + (
                f"; the smallest needs an estimated {e.LUT:,} LUT and {e.BRAM_18K} BRAM18"
                if e
                else ""
            )
        )
    chosen, est, spent = _spend(c, options, chosen, est, limits)
    stages = tuple(c.stage(i, s) for i, s in enumerate(chosen))
    out = replace(hw, stages=stages, lanes_policy=f"fit{pct} ({board})")
    work = tuple(c.work(i, s) for i, s in enumerate(chosen))
    if failed is None:
        i = int(np.argmax(work))
        stop = f"{stages[i].name}, the slowest layer, is at its fastest setting"
    else:
        b, e = failed
        stop = (
            f"the cheapest core whose slowest layer does ~{b:,.0f} cycles per image needs "
            f"~{e.LUT:,} LUT and {e.BRAM_18K} BRAM18, over {pct} % of {board}"
        )
    if spent:
        stop += "; then, for the latency (lanes x taps): " + ", ".join(spent)
    timing = cycle_estimate(out, x, res=c.golden)
    return FitResult(
        out,
        est,
        limits,
        work,
        stop,
        float(timing.alone.mean()),
        float(timing.interval.mean()),
        len(x),
    )


__all__ = ["FitResult", "fit"]
