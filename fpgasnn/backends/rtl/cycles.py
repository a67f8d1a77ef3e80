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

from dataclasses import dataclass

import numpy as np

from fpgasnn.golden import simulate
from fpgasnn.hw import HwConfig, HwNetwork, HwStage, lower
from fpgasnn.hw.events import synaptic_events
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


def _ops(st: HwStage) -> int:
    """Cycles of one input event's scatter: one per (tap group, chunk); a group's taps update in
    parallel (every tap at once when the membranes are banked, :attr:`HwStage.banks`)."""
    return st.chunks * st.tap_groups


def estimate(net: Network | HwNetwork, images: np.ndarray, lanes=None) -> CycleEstimate:
    """The cycles of ``images`` on the core of ``net`` (a lowered network, or a Network lowered here
    with ``lanes``)."""
    hw = net if isinstance(net, HwNetwork) else lower(net, HwConfig.make(lanes))
    x = np.asarray(images)
    if x.shape == hw.net.input.shape:
        x = x[None]
    res = simulate(hw.net, x, trace=True)
    tr = res.trace
    st = hw.stages
    n = len(x)
    cycles = np.zeros(n, dtype=np.int64)
    per = np.zeros((n, len(st)), dtype=np.int64)
    events = synaptic_events(hw, x, res)
    words = [s.out_positions * s.chunks for s in st]
    for m in range(n):
        nz = x[m].reshape(-1) != 0
        ops0 = _ops(st[0])
        t = int(np.sum(1 + nz[:-1] * ops0)) + 2 + int(nz[-1]) * (ops0 + 1)
        per[m, 0] = t
        for k in range(len(tr.phases)):
            t += words[0] + 2
            per[m, 0] += words[0] + 2
            for i in range(1, len(st)):
                prod = tr.spikes[st[i - 1].act_name][k, m]
                w, spikes = _words(prod.reshape(prod.shape[0], -1), st[i - 1].lanes)
                c = 1 + 2 * w + int(w > 0) + spikes * _ops(st[i]) + 2 + words[i] + 2
                t += c
                per[m, i] += c
        t += hw.num_classes
        cycles[m] = t + 1
        per[m, -1] += hw.num_classes + 1
    lanes_taps = np.array([s.lanes * s.taps for s in st])
    bound = (-(-events // lanes_taps[None, :])).sum(axis=1)
    return CycleEstimate(cycles, cycles + 1, bound, events, per)


__all__ = ["CycleEstimate", "estimate"]
