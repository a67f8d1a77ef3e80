"""Automatic lanes: spend a lane budget where the synaptic events are.

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


def auto_lanes(hw: HwNetwork, images: np.ndarray | None = None, budget: int = 128) -> dict[str, int]:
    """Lanes per synapse layer (name -> lanes), their sum at most ``budget``.

    Events are counted by the golden model on ``images`` (default: 16 uniformly random images over the
    input range, seed 0, deterministic)."""
    stages = hw.stages
    if budget < len(stages):
        raise BackendError(f"auto lanes: a budget of {budget} lanes cannot give each of the "
                           f"{len(stages)} layers one lane")
    if images is None:
        images = random_images(hw.net, 16, 0)
    ev = synaptic_events(hw, images, simulate(hw.net, images, trace=True)).mean(axis=0)
    ev = ev / np.array([s.taps for s in stages])
    caps = [s.out_c for s in stages]
    lanes = [1] * len(stages)
    while True:
        total = sum(lanes)
        cand = [i for i in range(len(stages))
                if lanes[i] < caps[i] and total + min(2 * lanes[i], caps[i]) - lanes[i] <= budget]
        if not cand:
            break
        best = max(cand, key=lambda i: (ev[i] / lanes[i], -i))
        lanes[best] = min(2 * lanes[best], caps[best])
    return {s.name: n for s, n in zip(stages, lanes)}


__all__ = ["auto_lanes"]
