"""The ``fit[PCT]`` lanes setting: the fastest lanes and parallel taps per layer whose estimated LUTs and
block RAMs stay within PCT % (default 90) of a board's.

The search is greedy on the slowest layers. A layer's busy cycles per image are about its synaptic
events over lanes x parallel taps plus its update passes (:func:`fpgasnn.hw.auto.layer_work`); the
slowest layer sets the interval between images and most of the latency. Starting from one lane and
one tap per cycle everywhere (or, where it takes fewer block RAMs, 2 or 4 lanes), each step looks at the layers from the slowest down (those with at
least half the slowest one's work: the others hardly change the latency) and takes, on the first
that has one, the move (double its lanes, up to its output channels; or every tap of a convolution
in parallel) that leaves the lowest slowest-layer work and still fits the estimate
(:func:`fpgasnn.backends.rtl.estimate.estimate`). It stops when none of those layers has a move that
fits. Every step and the reason to stop are recorded, so a user can see why the core came out as it
did.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from fpgasnn.backends.rtl.context import build_context
from fpgasnn.backends.rtl.estimate import Estimate, estimate
from fpgasnn.errors import BackendError
from fpgasnn.hw import HwConfig, HwNetwork, lower
from fpgasnn.hw.auto import layer_events, layer_work
from fpgasnn.ir.network import Network

DEFAULT_FIT_PCT = 90
FIT_RESOURCES = ("LUT", "BRAM_18K")
"""The resources a fitted core must leave room in (DSP: the first layer's products only; FF: the
parts have twice as many as LUTs)."""


@dataclass(frozen=True)
class FitResult:
    """The chosen machine, its estimate, the limits it was fitted to and how it got there."""

    hw: HwNetwork
    estimate: Estimate
    limits: dict[str, int]
    steps: tuple[str, ...]
    stop: str

    @property
    def lanes(self) -> dict[str, int]:
        return self.hw.lanes

    @property
    def taps(self) -> dict[str, int]:
        return {s.name: s.taps for s in self.hw.stages}

    def summary(self) -> list[str]:
        """Lines for a person: the choice, the estimate against the limits, every step, the stop."""
        e, lim = self.estimate, self.limits
        lines = [
            "fit: "
            + ", ".join(f"{s.name} {s.lanes} lanes x {s.taps} taps" for s in self.hw.stages),
            f"  estimate LUT {e.LUT:,} of {lim['LUT']:,}, BRAM18 {e.BRAM_18K} of "
            f"{lim['BRAM_18K']}, DSP {e.DSP} (Yosys synthesis gives the real counts: "
            "`fpgasnn synth`)",
        ]
        lines += [f"  {s}" for s in self.steps]
        lines.append(f"  stopped: {self.stop}")
        return lines


def _limits(resources: Mapping[str, int], pct: int) -> dict[str, int]:
    missing = [r for r in FIT_RESOURCES if r not in resources]
    if missing:
        raise BackendError(
            f"lanes fit: the board gives no {', '.join(missing)} (an ECP5 board counts LUT4 and EBR; "
            "the estimate is calibrated on Xilinx parts only): give the lanes yourself"
        )
    if not 1 <= pct <= 100:
        raise BackendError(f"lanes fit: the share of the board must be 1..100 %, got {pct}")
    return {r: int(resources[r] * pct // 100) for r in FIT_RESOURCES}


def _spec(lanes: Mapping[str, int]) -> str:
    return ",".join(f"{k}={v}" for k, v in lanes.items())


def _with(hw: HwNetwork, name: str, **change) -> HwNetwork:
    stages = tuple(replace(s, **change) if s.name == name else s for s in hw.stages)
    return replace(hw, stages=stages)


def _fits(e: Estimate, limits: Mapping[str, int]) -> bool:
    return all(getattr(e, r) <= limits[r] for r in FIT_RESOURCES)


def _moves(hw: HwNetwork, st, free: bool) -> list[tuple[str, HwNetwork]]:
    """The moves of one layer: double its lanes (up to its output channels); every tap of a
    convolution in parallel (when the taps are the search's to choose)."""
    out = []
    if st.lanes < st.out_c:
        n = min(2 * st.lanes, st.out_c)
        out.append((f"lanes {st.lanes} -> {n}", _with(hw, st.name, lanes=n)))
    if free and st.op == "conv" and st.taps == 1 and st.kernel_taps > 1:
        out.append((f"taps 1 -> {st.kernel_taps}", _with(hw, st.name, taps=st.kernel_taps)))
    return out


START_LANES = (1, 2, 4)
"""Lanes tried for the starting point: per layer the one with the fewest block RAMs (a weight ROM one
lane wide fills a third of its 18-bit block RAM columns), then the fewest LUTs."""


def _start(net: Network, taps) -> HwNetwork:
    """The search's starting point: every layer at the lanes of :data:`START_LANES` that give it the
    fewest estimated block RAMs (then LUTs), ``taps`` as given."""
    tries = [lower(net, HwConfig.make(n, taps=taps)) for n in START_LANES]
    costs = [estimate(build_context(h)).stages for h in tries]
    best = {}
    for i, st in enumerate(tries[0].stages):
        k = min(range(len(tries)), key=lambda j: (costs[j][i].BRAM_18K, costs[j][i].LUT))
        best[st.name] = tries[k].stages[i].lanes
    return lower(net, HwConfig.make(best, taps=taps))


def fit(
    net: Network,
    resources: Mapping[str, int],
    pct: int = DEFAULT_FIT_PCT,
    taps: str | int | Mapping[str, str | int] = "auto",
    images: np.ndarray | None = None,
    board: str = "the board",
) -> FitResult:
    """The fastest lanes and taps of ``net`` whose estimate fits ``pct`` % of ``resources`` (a board's
    ``resources``); ``taps``: "auto" lets the search decide per convolution, anything else (1, "all",
    a per-layer mapping) fixes them; ``images``: where the synaptic events are counted (as for
    automatic lanes)."""
    limits = _limits(resources, pct)
    free = taps == "auto"
    hw = _start(net, 1 if free else taps)
    events = layer_events(hw, images)
    est = estimate(build_context(hw))
    if not _fits(est, limits):
        raise BackendError(
            f"lanes fit: even the smallest setting ({_spec(hw.lanes)}) needs an estimated {est.LUT:,} LUT and "
            f"{est.BRAM_18K} BRAM18, more than {pct} % of {board} ({limits['LUT']:,} LUT, "
            f"{limits['BRAM_18K']} BRAM18)"
        )
    steps: list[str] = []
    while True:
        work = layer_work(hw, events)
        order = [int(i) for i in np.argsort(-work, kind="stable") if work[i] >= work.max() / 2]
        why: list[str] = []
        chosen = None
        for i in order:
            st = hw.stages[i]
            tried = []
            for what, cand in _moves(hw, st, free):
                e = estimate(build_context(cand))
                tried.append((float(layer_work(cand, events).max()), e.LUT, what, cand, e))
            fitting = sorted((t for t in tried if _fits(t[4], limits)), key=lambda t: t[:2])
            if fitting:
                chosen = (st, work[i], fitting[0])
                break
            if not tried:
                why.append(f"{st.name} (~{work[i]:,.0f} cycles per image) has every lane and tap")
            else:
                over = "; ".join(
                    f"{what} would need ~{e.LUT:,} LUT / {e.BRAM_18K} BRAM18"
                    for _, _, what, _, e in tried
                )
                why.append(f"{st.name} (~{work[i]:,.0f} cycles per image): {over}")
        if chosen is None:
            stop = (
                "; ".join(why)
                + f" (limits {limits['LUT']:,} LUT, {limits['BRAM_18K']} BRAM18 = {pct} % of "
                f"{board}); the other layers do under half the slowest one's work"
            )
            break
        st, before, (new_max, _, what, hw, new_est) = chosen
        steps.append(
            f"{st.name}: {what} (its work ~{before:,.0f} cycles per image, slowest layer after "
            f"~{new_max:,.0f}; estimate {est.LUT:,} -> {new_est.LUT:,} LUT, {new_est.BRAM_18K} "
            "BRAM18)"
        )
        est = new_est
    desc = f"fit{pct} ({board})"
    return FitResult(replace(hw, lanes_policy=desc), est, limits, tuple(steps), stop)


__all__ = ["DEFAULT_FIT_PCT", "FitResult", "fit"]
