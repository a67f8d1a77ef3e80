"""Choosing lanes per layer: ``auto_lanes`` spends a lane budget where the synaptic events are.

The scatter of a layer costs about ``events / lanes`` cycles (see :mod:`.cycles`), so with a fixed total
of lanes (the datapath and weight-memory width grow with it) the greedy choice is to double, again and
again, the lanes of the layer with the most events per lane that can still take more lanes (at most its
output channels rounded up to a power of two) while the total stays within the budget.
"""

from __future__ import annotations

import numpy as np

from fpgasnn.errors import BackendError
from fpgasnn.ir.network import Network


def _cap(out_channels: int) -> int:
    return 1 << max(0, int(out_channels) - 1).bit_length()


def auto_budget(spec: str) -> int:
    """``"auto"`` -> 128, ``"autoB"`` -> B; anything else raises :class:`BackendError`."""
    text = spec.strip().lower()
    if not text.startswith("auto"):
        raise BackendError(f"lanes: expected a number, LAYER=N pairs or auto[BUDGET], got {spec!r}")
    try:
        budget = int(text[4:] or 128)
    except ValueError:
        raise BackendError(f"lanes: expected auto followed by a lane budget, got {spec!r}") from None
    if budget < 1:
        raise BackendError(f"lanes: the auto lane budget must be >= 1, got {spec!r}")
    return budget


def auto_lanes(net: Network, images: np.ndarray | None = None, budget: int = 128) -> dict[str, int]:
    """Lanes per synapse layer (name -> power of two), their sum at most ``budget``.

    Events are counted by the golden model on ``images`` (default: 16 uniformly random images over the
    input range, seed 0, deterministic)."""
    from fpgasnn.backends.rtl.cycles import estimate

    stages = net.stages()
    if budget < len(stages):
        raise BackendError(f"auto lanes: a budget of {budget} lanes cannot give each of the "
                           f"{len(stages)} layers one lane")
    if images is None:
        from fpgasnn.backends.hls.stimulus import random_images
        images = random_images(net, 16, 0)
    ev = estimate(net, images, 1).events.mean(axis=0)
    names = [s.synapse.name for s in stages]
    caps = [_cap(s.synapse.out_channels) for s in stages]
    lanes = [1] * len(stages)
    while True:
        total = sum(lanes)
        cand = [i for i in range(len(stages)) if lanes[i] < caps[i] and total + lanes[i] <= budget]
        if not cand:
            break
        best = max(cand, key=lambda i: (ev[i] / lanes[i], -i))
        lanes[best] *= 2
    return dict(zip(names, lanes))


__all__ = ["auto_budget", "auto_lanes"]
