"""Automatic lanes and taps: spend a lane budget where the synaptic events are, and parallel taps
only on the convolutions that would otherwise be the slowest layer.

A layer's scatter costs about ``events / (lanes * taps)`` cycles, so with a fixed total of lanes (the
datapath and weight-memory width grow with it) the greedy choice is to double, again and again, the lanes
of the layer with the most events per lane that can still take more lanes (at most its output
channels) while the total stays within the budget.
"""

from __future__ import annotations

import numpy as np

from fpgasnn.errors import BackendError
from fpgasnn.golden import simulate
from fpgasnn.hw.events import synaptic_events
from fpgasnn.hw.records import HwNetwork
from fpgasnn.hw.stimulus import random_images


def layer_events(hw: HwNetwork, images: np.ndarray | None = None) -> np.ndarray:
    """(stages,) mean synaptic events per image, counted by the golden model on ``images`` (default:
    16 uniformly random images over the input range, seed 0, deterministic)."""
    if images is None:
        images = random_images(hw.net, 16, 0)
    return synaptic_events(hw, images, simulate(hw.net, images, trace=True)).mean(axis=0)


def auto_lanes(
    hw: HwNetwork,
    images: np.ndarray | None = None,
    budget: int = 128,
    *,
    events: np.ndarray | None = None,
) -> dict[str, int]:
    """Lanes per synapse layer (name -> lanes), their sum at most ``budget``; ``events``: the layers'
    synaptic events if already counted (:func:`layer_events`)."""
    stages = hw.stages
    if budget < len(stages):
        raise BackendError(
            f"auto lanes: a budget of {budget} lanes cannot give each of the "
            f"{len(stages)} layers one lane"
        )
    ev = (layer_events(hw, images) if events is None else events) / np.array(
        [s.taps for s in stages]
    )
    caps = [s.out_c for s in stages]
    lanes = [1] * len(stages)
    while True:
        total = sum(lanes)
        cand = [
            i
            for i in range(len(stages))
            if lanes[i] < caps[i] and total + min(2 * lanes[i], caps[i]) - lanes[i] <= budget
        ]
        if not cand:
            break
        best = max(cand, key=lambda i: (ev[i] / lanes[i], -i))
        lanes[best] = min(2 * lanes[best], caps[best])
    return {s.name: n for s, n in zip(stages, lanes, strict=True)}


def layer_work(hw: HwNetwork, events: np.ndarray) -> np.ndarray:
    """(stages,) approximate cycles of each layer per image: its synaptic events over lanes x taps (the
    scatter) plus its update passes (:attr:`HwStage.update_cycles`, every step)."""
    lt = np.array([s.lanes * s.taps for s in hw.stages])
    upd = np.array([s.update_cycles for s in hw.stages]) * hw.total_steps
    return events / lt + upd


def busiest_convolution(hw: HwNetwork, events: np.ndarray) -> str | None:
    """The convolution at one tap per cycle that is the slowest layer (:func:`layer_work`), if any:
    where every tap in parallel pays for its banks."""
    work = layer_work(hw, events)
    i = int(np.argmax(work))
    st = hw.stages[i]
    return st.name if st.op == "conv" and st.taps == 1 and st.kernel_taps > 1 else None


__all__ = ["auto_lanes", "busiest_convolution", "layer_events", "layer_work"]
