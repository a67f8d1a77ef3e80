"""The exact cycle model of the generated core (snn_ctrl + snn_stage), from the golden model's trace.

Cycles are counted from the cycle of the first accepted input beat to the cycle of the last output beat,
both included, with the input always valid and the output always ready:

- RX: a zero pixel takes 1 cycle, a nonzero one 1 + OPS0 (OPS = taps x chunks for Conv2D, chunks for
  Dense); after the last pixel: 2 cycles (+ OPS0 + 1 when it is nonzero) until the first update pass.
- every step, stage 0: update pass NWORDS + 2; every later stage i: scatter
  ``1 + sum over the producer's words with spikes (3 + spikes * OPS_i) + 2`` (the next spike of a
  word is picked in the last op cycle of the previous one), then update NWORDS + 2.
- TX: NCLS score beats and the class beat, one per cycle.
The steady-state interval between images is the latency + 1. The lower bound is the sum over layers of
``ceil(synaptic events / lanes)``, a synaptic event being one (input event, reached output neuron) pair.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from fpgasnn.backends.rtl.context import RtlCtx, build_context
from fpgasnn.golden import simulate
from fpgasnn.ir.network import Network


@dataclass(frozen=True)
class CycleEstimate:
    cycles: np.ndarray
    """(N,) latency of each image: first input beat to last output beat, inclusive."""
    interval: np.ndarray
    """(N,) steady-state interval (first beat of this image to first beat of the next)."""
    lower_bound: np.ndarray
    """(N,) sum over layers of ceil(synaptic events / lanes)."""
    events: np.ndarray
    """(N, stages) synaptic events per layer."""
    stage_cycles: np.ndarray
    """(N, stages) the latency split by stage: stage 0 gets the input (RX) phase and its update passes,
    stage i its scatter and update passes; the score/class beats (TX) go to the last stage."""


def _words(spk: np.ndarray, lanes: int) -> tuple[int, int]:
    """(words with spikes, spikes) of one layer's spikes (C, P) grouped LANES channels per word."""
    c, p = spk.shape
    och = -(-c // lanes)
    pad = np.zeros((och * lanes, p), dtype=bool)
    pad[:c] = spk != 0
    words = pad.reshape(och, lanes, p).any(axis=1)
    return int(words.sum()), int(pad.sum())


def estimate(net: Network, images: np.ndarray, lanes: int | Mapping[str, int] | None = None, *,
             ctx: RtlCtx | None = None) -> CycleEstimate:
    ctx = ctx or build_context(net, lanes)
    x = np.asarray(images)
    if x.shape == net.input.shape:
        x = x[None]
    res = simulate(net, x, trace=True)
    tr = res.trace
    st = ctx.stages
    n = len(x)
    ncls = st[-1].out_channels
    cycles = np.zeros(n, dtype=np.int64)
    bound = np.zeros(n, dtype=np.int64)
    events = np.zeros((n, len(st)), dtype=np.int64)
    per = np.zeros((n, len(st)), dtype=np.int64)
    names = [s.activation.name for s in net.stages()]
    npos0 = int(st[0].params["IN_NPOS"])
    for m in range(n):
        px = x[m].reshape(-1)
        nz = px != 0
        ops0 = st[0].ops
        t = int(np.sum(1 + nz[:-1] * ops0)) + 2 + int(nz[-1]) * (ops0 + 1)
        per[m, 0] = t
        fan0 = np.tile(st[0].fanout, len(px) // npos0)
        events[m, 0] = int(fan0[nz].sum())
        for k in range(len(tr.phases)):
            t += st[0].npos * st[0].och + 2
            per[m, 0] += st[0].npos * st[0].och + 2
            for i in range(1, len(st)):
                prod = tr.spikes[names[i - 1]][k, m]
                spk = prod.reshape(prod.shape[0], -1)
                words, spikes = _words(spk, st[i - 1].lanes)
                t += 1 + 2 * words + int(words > 0) + spikes * st[i].ops + 2
                t += st[i].npos * st[i].och + 2
                per[m, i] += 1 + 2 * words + int(words > 0) + spikes * st[i].ops + 2 + st[i].npos * st[i].och + 2
                fan = st[i].fanout
                events[m, i] += int((np.count_nonzero(spk, axis=0) * fan[: spk.shape[1]]).sum()) \
                    if len(fan) == spk.shape[1] else int(np.count_nonzero(spk) * fan[0])
        t += ncls
        cycles[m] = t + 1
        per[m, -1] += ncls + 1
        bound[m] = sum(-(-int(events[m, i]) // s.lanes) for i, s in enumerate(st))
    return CycleEstimate(cycles, cycles + 1, bound, events, per)


__all__ = ["CycleEstimate", "estimate"]
