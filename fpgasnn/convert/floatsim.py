"""Float64 simulation of an :class:`SnnSpec`: the golden model's equations with unrounded parameters.

Same schedule (presim with the offset shift, wake, sleep with zero input and biases off), same neuron
kinds and update order as :func:`fpgasnn.golden.simulate`; only the arithmetic is float64. Comparing its
classes with the integer network's shows what rounding the parameters costs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fpgasnn.convert.floatnet import FPool, avgpool_float, conv2d_float
from fpgasnn.convert.snnspec import SnnSpec, SnnStage
from fpgasnn.ir.nodes import NeuronKind


@dataclass
class FloatSimResult:
    scores: np.ndarray
    classes: np.ndarray
    counts: dict[str, np.ndarray]


def stage_current(st: SnnStage, x: np.ndarray, bias_on: bool) -> np.ndarray:
    """One step's current of ``st`` for its input ``x`` (N, C, H, W) / (N, F), channel-first."""
    for t in st.transforms:
        if isinstance(t, FPool):
            x = avgpool_float(x, t.pool) * (t.pool * t.pool)
        else:
            x = x.reshape(x.shape[0], -1)
    b = st.bias if bias_on else None
    if st.conv:
        return conv2d_float(x, st.weight, b, st.stride, st.padding)
    out = x @ st.weight.T
    return out + b if b is not None else out


def fire(kind: NeuronKind, theta: float, v: np.ndarray, n: np.ndarray, t_wake: int) -> np.ndarray:
    """This step's spikes in {-1, 0, 1} (see :class:`fpgasnn.ir.nodes.Neuron`)."""
    pos = v >= theta
    if kind is NeuronKind.IF:
        return pos.astype(np.float64)
    if kind is NeuronKind.CONSISTENT_IF:
        pos &= n < t_wake
    return pos.astype(np.float64) - ((v < 0) & (n > 0))


def simulate_float(spec: SnnSpec, images: np.ndarray, batch_size: int = 256) -> FloatSimResult:
    parts = [
        _run(spec, np.asarray(images[i : i + batch_size], dtype=np.float64))
        for i in range(0, len(images), batch_size)
    ]
    return FloatSimResult(
        np.concatenate([p.scores for p in parts]),
        np.concatenate([p.classes for p in parts]),
        {k: np.concatenate([p.counts[k] for p in parts]) for k in parts[0].counts},
    )


def _run(spec: SnnSpec, x: np.ndarray) -> FloatSimResult:
    sched = spec.schedule
    stages = spec.stages
    cur0 = stage_current(stages[0], x, True)
    v0 = {}
    for st in stages[:-1]:
        v0[st.name] = None
    v: dict[str, np.ndarray] = {}
    cnt: dict[str, np.ndarray] = {}
    acc = None
    t_wake = 0

    def reset() -> None:
        nonlocal acc
        for st in stages[:-1]:
            v[st.name] = np.array(v0[st.name], copy=True)
            cnt[st.name] = np.zeros_like(v0[st.name])
        acc = 0.0

    shapes = {}
    s = cur0
    # initial membranes broadcast to each layer's shape, found with one bias-free dry pass
    for st in stages[:-1]:
        shape = s.shape
        shapes[st.name] = shape
        v0[st.name] = np.broadcast_to(np.asarray(st.v0, dtype=np.float64), shape).copy()
        s = stage_current(stages[len(shapes)], np.zeros(shape), False)
    reset()
    for k, phase in enumerate(sched.phases()):
        if phase == "wake":
            if k == sched.presim and sched.presim:
                for st in stages[:-1]:
                    vv, nn = v[st.name], cnt[st.name]
                    v0[st.name] = v0[st.name] + st.theta * (
                        (vv >= st.theta).astype(np.float64) - ((vv < 0) & (nn > 0))
                    )
                reset()
            t_wake += 1
        bias_on = phase != "sleep"
        spikes = None
        for i, st in enumerate(stages):
            cur = (cur0 if bias_on else 0.0) if i == 0 else stage_current(st, spikes, bias_on)
            if st.is_output:
                acc = acc + cur
                break
            vv = v[st.name] + cur
            sp = fire(st.kind, st.theta, vv, cnt[st.name], t_wake)
            v[st.name] = vv - sp * st.theta
            cnt[st.name] = cnt[st.name] + sp
            spikes = sp
    acc = (
        np.broadcast_to(acc, (x.shape[0], stages[-1].weight.shape[0])) if np.ndim(acc) == 0 else acc
    )
    return FloatSimResult(
        acc, np.argmax(acc, axis=1), {st.act.name: cnt[st.name] for st in stages[:-1]}
    )
