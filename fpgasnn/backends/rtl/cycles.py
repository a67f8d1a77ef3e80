"""The exact cycle model of the generated core (snn_ctrl + pipelined snn_stage), from the golden trace.

Images are streamed back to back (input always valid, output always ready). Every stage runs its own
sequence, one global step j after another (image m, step k: j = m * TOTAL + k); "done" is the cycle in
which a pass is seen finished (the sequencer acts on it at the end of that cycle):

- stage 0 receives the image: its first pixel is accepted 2 cycles after its last update of the
  previous image is done (the first image at cycle 0); a zero pixel takes 1 cycle, a nonzero one
  OPS_0 (the next pixel is taken in the cycle of its last op); its first update starts 1 cycle
  after the last pixel, and not before the datapath has
  drained the last nonzero pixel (accepted at a: a + OPS_0 + SCATTER_DRAIN).
- stage i > 0, step j: the scatter starts at ``max(own update of j - 1 done + 1, producer's update of j
  done + 1)`` (the output stage's first step of an image instead waits for the previous scores to be
  sent: last beat + 2) and is done 2 cycles later when the producer queued no word, else
  ``SCATTER_EXTRA + spikes * OPS_i`` cycles later: the queue words stream through a word FIFO and a
  picker that delivers one spike per cycle, so the op counters never wait once the first spike is in.
- update of step j: starts 1 cycle after the stage's scatter (stage 0: its previous update or the
  receive phase) is done, and not before 1 cycle after the consumer's scatter of step j - 2 is done
  (its queue bank is free again); done UPDATE_CYCLES + UPDATE_EXTRA cycles after it starts.
- TX: the output stage's last update of an image done at u: score beats from u + 2, the class beat at
  u + 3 + NCLS (the argmax compares a registered score, a cycle after its beat).

OPS_i = chunks x tap groups (1 tap group when every tap is updated in parallel, the kernel's taps
otherwise); UPDATE_CYCLES = output positions x chunks, halved (rounded up) where the update
handles two positions per cycle (:attr:`HwStage.update_words`). The latency of an image counts from its first input beat
to its class beat, inclusive; the interval from its first input beat to the next image's.
Lower bounds: a layer needs at least ceil(synaptic events / (lanes x parallel taps)) cycles per image,
and the input needs one cycle per pixel: the interval is at least the largest of these, the latency
that plus the NCLS + 1 output beats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fpgasnn.golden import simulate
from fpgasnn.hw import HwConfig, HwNetwork, HwStage, lower
from fpgasnn.hw.events import synaptic_events
from fpgasnn.ir.network import Network

SCATTER_EXTRA = 16
"""Cycles of a scatter pass beyond its spikes' ops: queue read, word register, map entry register,
picker, channel, event FIFO, op counters (6) and the datapath drain (tap map segment read, segment register,
selected entry register, weight ROM segment, segment register, selected weight register, product
and read, read register, add and write) seen done a cycle later (10)."""
UPDATE_EXTRA = 7
"""Cycles of an update pass beyond one per cycle of words: the UA..U4 pipeline drain, seen done a
cycle later."""
SCATTER_DRAIN = 9
"""Cycles from the last op of a pixel to the first stage being quiet (S1..S5 with S1R and S2Q, seen a
cycle later)."""
WRITE_REGISTER_EXTRA = 1
"""Cycles the ECP5 build (:attr:`HwNetwork.write_register`: the sum written at S6, not S5, and the
consumer's pass count registered before the producer's update waits on it) adds to SCATTER_EXTRA,
SCATTER_DRAIN and to an update's wait for the consumer's scatter of step j - 2."""


@dataclass(frozen=True)
class CycleEstimate:
    cycles: np.ndarray
    """(N,) latency of each image: first input beat to last output beat, inclusive."""
    interval: np.ndarray
    """(N,) first input beat of this image to the first of the next (back to back)."""
    lower_bound: np.ndarray
    """(N,) latency lower bound: max(pixels, max over layers of ceil(events / (lanes x taps)))
    + NCLS + 1."""
    interval_lower_bound: np.ndarray
    """(N,) max(pixels, max over layers of ceil(events / (lanes x taps)))."""
    events: np.ndarray
    """(N, stages) synaptic events per layer."""
    stage_cycles: np.ndarray
    """(N, stages) busy cycles of each stage per image (receive or scatter passes, update passes;
    the output stage also its NCLS + 2 cycles of TX): the slowest stage sets the interval."""
    layer_bound: np.ndarray
    """(N, stages) ceil(synaptic events / (lanes x parallel taps)) per layer."""
    alone: np.ndarray
    """(N,) latency of each image entering an empty core (``cycles`` includes the waiting of images
    streamed back to back behind the slowest stage)."""


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


def _receive(nz: np.ndarray, ops0: int, wreg: int = 0) -> tuple[np.ndarray, int]:
    """(accept cycle of each pixel relative to the first, cycles of the receive phase) of an image
    whose nonzero pixels are ``nz``: a zero pixel takes 1 cycle, a nonzero one ``ops0``; the phase
    ends when the scatter pipeline of the last nonzero pixel has drained (``wreg``: 1 with a
    registered write)."""
    accept = np.concatenate([[0], np.cumsum(np.where(nz[:-1], ops0, 1))])
    end = int(accept[-1]) + 1
    if nz.any():
        end = max(end, int(accept[np.nonzero(nz)[0][-1]]) + ops0 + SCATTER_DRAIN + wreg)
    return accept, end


def _scatter(words: int, spikes: int, ops: int, wreg: int = 0) -> int:
    """Cycles of a scatter pass over ``spikes`` queued spikes (2 when the producer queued no word;
    ``wreg``: 1 with a registered write)."""
    return 2 if words == 0 else SCATTER_EXTRA + wreg + spikes * ops


def stage_busy(hw: HwNetwork, st: HwStage, x: np.ndarray, spikes: np.ndarray | None) -> np.ndarray:
    """(N,) busy cycles per image of stage ``st`` of ``hw`` (any lanes and taps; the same count as
    :attr:`CycleEstimate.stage_cycles`, which a test checks): the first stage from the images ``x``,
    the others from ``spikes``, their producer's spike count per (image, step)
    (:func:`producer_spikes`; it does not depend on lanes)."""
    tot = hw.total_steps
    wreg = _wreg(hw)
    upd = tot * (st.update_cycles + UPDATE_EXTRA)
    if st.is_first:
        rx = [_receive(xm.reshape(-1) != 0, _ops(st), wreg)[1] for xm in x]
        out = np.array(rx, dtype=np.int64) + upd
    else:
        ops = _ops(st)
        out = (
            np.array(
                [sum(_scatter(int(v), int(v), ops, wreg) for v in row) for row in spikes],
                dtype=np.int64,
            )
            + upd
        )
    if st.is_output:
        out += hw.num_classes + 2
    return out


def producer_spikes(hw: HwNetwork, res) -> list[np.ndarray | None]:
    """Per stage: (N, steps) spikes its producer queued (None for the first stage), from the golden
    result ``res`` (traced)."""
    out: list[np.ndarray | None] = [None]
    for prev in hw.stages[:-1]:
        spk = res.trace.spikes[prev.act_name]  # (steps, N, ...)
        out.append((spk.reshape(spk.shape[0], spk.shape[1], -1) != 0).sum(axis=2).T)
    return out


def _wreg(hw: HwNetwork) -> int:
    return WRITE_REGISTER_EXTRA if hw.write_register else 0


def _stream(
    x: np.ndarray,
    wsp: np.ndarray,
    ops: list[int],
    nw: list[int],
    tot: int,
    ncls: int,
    wreg: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(latency, interval, busy cycles per stage) of images streamed back to back (module docstring)."""
    n, ns = len(x), len(ops)
    never = -(1 << 60)
    ud = np.full((ns, n * tot), never, dtype=np.int64)  # update done
    sd = np.full((ns, n * tot), never, dtype=np.int64)  # scatter done
    busy = np.zeros((n, ns), dtype=np.int64)
    rx_first = np.zeros(n + 1, dtype=np.int64)
    tx_last = np.zeros(n, dtype=np.int64)
    tx_ready = never
    for m in range(n):
        r = rx_first[m]
        _, rx = _receive(x[m].reshape(-1) != 0, ops[0], wreg)
        rx_end = int(r) + rx
        busy[m, 0] += rx
        for k in range(tot):
            j = m * tot + k
            start = rx_end if k == 0 else ud[0, j - 1] + 1
            if ns > 1 and j >= 2:
                start = max(start, sd[1, j - 2] + 1 + wreg)
            ud[0, j] = start + nw[0] + UPDATE_EXTRA
            busy[m, 0] += nw[0] + UPDATE_EXTRA
            for i in range(1, ns):
                ready = ud[i, j - 1] + 1 if j else never
                if i == ns - 1 and k == 0:
                    ready = max(ready, tx_ready)
                sc = max(ready, ud[i - 1, j] + 1)
                w, s = (int(v) for v in wsp[i, m, k])
                sd[i, j] = sc + _scatter(w, s, ops[i], wreg)
                up = sd[i, j] + 1
                if i < ns - 1 and j >= 2:
                    up = max(up, sd[i + 1, j - 2] + 1 + wreg)
                ud[i, j] = up + nw[i] + UPDATE_EXTRA
                busy[m, i] += sd[i, j] - sc + nw[i] + UPDATE_EXTRA
        u = ud[ns - 1, m * tot + tot - 1]
        tx_last[m] = u + 3 + ncls
        busy[m, ns - 1] += ncls + 2
        tx_ready = tx_last[m] + 2
        # the next image enters when stage 0 is back in its receive phase (after the scores when the
        # first stage is also the output stage)
        rx_first[m + 1] = tx_last[m] + 3 if ns == 1 else ud[0, m * tot + tot - 1] + 2
    return tx_last - rx_first[:n] + 1, np.diff(rx_first), busy


def _model_inputs(hw: HwNetwork, x: np.ndarray, res=None):
    """(golden result, ops per event, update words per pass, producer (words, spikes) per (stage,
    image, step)) of ``images`` x through the core of ``hw`` (``res``: the golden result of ``x``
    with its trace, if already simulated)."""
    res = simulate(hw.net, x, trace=True) if res is None else res
    tr = res.trace
    st = hw.stages
    n, ns, tot = len(x), len(st), hw.total_steps
    ops = [_ops(s) for s in st]
    nw = [s.update_cycles for s in st]
    wsp = np.zeros((ns, n, tot, 2), dtype=np.int64)
    for i in range(1, ns):
        spk = tr.spikes[st[i - 1].act_name]
        for m in range(n):
            for k in range(tot):
                prod = spk[k, m]
                wsp[i, m, k] = _words(prod.reshape(prod.shape[0], -1), st[i - 1].lanes)
    return res, ops, nw, wsp


def _alone(x, wsp, ops, nw, tot, ncls, wreg: int = 0) -> np.ndarray:
    return np.array(
        [
            _stream(x[m : m + 1], wsp[:, m : m + 1], ops, nw, tot, ncls, wreg)[0][0]
            for m in range(len(x))
        ],
        dtype=np.int64,
    )


def _images(hw: HwNetwork, images: np.ndarray) -> np.ndarray:
    x = np.asarray(images)
    return x[None] if x.shape == hw.net.input.shape else x


def estimate(net: Network | HwNetwork, images: np.ndarray, lanes=None, res=None) -> CycleEstimate:
    """The cycles of ``images`` streamed back to back through the core of ``net`` (a lowered network,
    or a Network lowered here with ``lanes``; ``res``: the golden result of ``images`` with its
    trace, if already simulated)."""
    hw = net if isinstance(net, HwNetwork) else lower(net, HwConfig.make(lanes))
    x = _images(hw, images)
    res, ops, nw, wsp = _model_inputs(hw, x, res)
    st = hw.stages
    tot, ncls = hw.total_steps, hw.num_classes
    wreg = _wreg(hw)
    cycles, interval, busy = _stream(x, wsp, ops, nw, tot, ncls, wreg)
    alone = _alone(x, wsp, ops, nw, tot, ncls, wreg)
    events = synaptic_events(hw, x, res)
    lanes_taps = np.array([s.lanes * s.taps for s in st])
    layer_bound = -(-events // lanes_taps[None, :])
    ibound = np.maximum(layer_bound.max(axis=1), hw.input.size)
    return CycleEstimate(
        cycles, interval, ibound + ncls + 1, ibound, events, busy, layer_bound, alone
    )


def project_parallel_update(
    hw: HwNetwork, images: np.ndarray, words_per_cycle: dict[str, int]
) -> tuple[float, float]:
    """(mean latency into an empty core, mean interval) of a core like ``hw`` whose update pass of
    each named stage handles that many positions per cycle: a PROJECTION for a machine not built yet
    (the lever a report names), from this model's timing rules with the words of a pass divided."""
    x = _images(hw, images)
    _, ops, nw, wsp = _model_inputs(hw, x)
    for i, s in enumerate(hw.stages):
        if s.name in words_per_cycle:
            nw[i] = -(-s.out_positions // words_per_cycle[s.name]) * s.chunks
    tot, ncls = hw.total_steps, hw.num_classes
    wreg = _wreg(hw)
    _, interval, _ = _stream(x, wsp, ops, nw, tot, ncls, wreg)
    return float(_alone(x, wsp, ops, nw, tot, ncls, wreg).mean()), float(interval.mean())


__all__ = [
    "CycleEstimate",
    "estimate",
    "producer_spikes",
    "project_parallel_update",
    "stage_busy",
]
