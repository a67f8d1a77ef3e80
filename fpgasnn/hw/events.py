"""Synaptic events: the work of an event-driven layer, counted on the golden model's trace.

A synaptic event is one (input event, reached output neuron) pair. An input event is a nonzero pixel
(first layer) or a nonzero spike of the previous layer; it reaches ``fanout[position]`` output neurons
(every output channel at each valid kernel tap; a spike in a row or column that AvgPool2D drops reaches
none).
"""

from __future__ import annotations

import numpy as np

from fpgasnn.golden import SimResult
from fpgasnn.hw.records import HwNetwork, HwStage


def valid_taps(st: HwStage) -> np.ndarray:
    """(pooled_h * pooled_w,) number of kernel taps of an input at each pooled position that land on an
    output position (dense: 1 everywhere)."""
    n = st.pooled_h * st.pooled_w
    if st.op != "conv":
        return np.ones(n, dtype=np.int64)
    out = np.zeros(n, dtype=np.int64)
    for pp in range(n):
        yp, xp = divmod(pp, st.pooled_w)
        for i in range(st.kh):
            oy = yp + st.pad_top - i
            if oy < 0 or oy % st.stride or oy // st.stride >= st.out_h:
                continue
            for j in range(st.kw):
                ox = xp + st.pad_left - j
                if ox < 0 or ox % st.stride or ox // st.stride >= st.out_w:
                    continue
                out[pp] += 1
    return out


def fanout(st: HwStage) -> np.ndarray:
    """(in_h * in_w,) output neurons one input event at each producer position reaches."""
    taps = valid_taps(st)
    out = np.zeros(st.in_h * st.in_w, dtype=np.int64)
    for p in range(len(out)):
        y, x = divmod(p, st.in_w)
        yp, xp = y // st.pool, x // st.pool
        if yp < st.pooled_h and xp < st.pooled_w:
            out[p] = taps[yp * st.pooled_w + xp] * st.out_c
    return out


def producer_events(hw: HwNetwork, images: np.ndarray, res: SimResult) -> list[np.ndarray]:
    """Per stage, (steps, N, in_c, in_h * in_w) booleans: the input events of every step.

    The first stage's events are the image's nonzero pixels, in its single receive phase (steps = 1)."""
    names = [s.act_name for s in hw.stages]
    x = np.asarray(images).reshape(len(images), hw.input.c, -1)
    out = [(x != 0)[None]]
    tr = res.trace
    for i in range(1, len(hw.stages)):
        spk = tr.spikes[names[i - 1]]
        st = hw.stages[i]
        out.append((spk != 0).reshape(spk.shape[0], spk.shape[1], st.in_c, -1))
    return out


def synaptic_events(hw: HwNetwork, images: np.ndarray, res: SimResult) -> np.ndarray:
    """(N, stages) synaptic events of each image per layer (all steps)."""
    ev = producer_events(hw, images, res)
    out = np.zeros((len(images), len(hw.stages)), dtype=np.int64)
    for i, st in enumerate(hw.stages):
        fan = fanout(st)
        out[:, i] = (ev[i].sum(axis=(0, 2)) * fan[None, :]).sum(axis=1)
    return out


__all__ = ["fanout", "producer_events", "synaptic_events", "valid_taps"]
