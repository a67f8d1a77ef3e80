"""The golden model: THE reference semantics of an integer SNN (DESIGN.md section 2).

One inference of an image runs ``net.schedule`` -- presim, wake, sleep steps, in that order. Each step
goes through the stages in order; stage l receives the spikes stage l-1 emitted in the SAME step.

- First stage: its current ``W x + b`` for the image x is computed once per image and reused every
  presim/wake step; in sleep steps its input is zero and biases are off, so its current is 0.
- Other stages: ``I = W s_prev + b`` (bias only outside sleep steps); s_prev passes through the stage's
  AvgPool2D (window sum) / Flatten transforms first.
- Neuron update, in this order: ``v += I``; decide the spike s (see :class:`fpgasnn.ir.nodes.Neuron`);
  ``v -= s * theta``; ``N += s``. Every neuron starts an image at ``v = v0``, ``N = 0``.
- Output: ``acc += I`` every wake and sleep step; ``scores = acc``; ``class = argmax`` (first maximum).
- After the presim steps (if any), per neuron ``v0' = v0 + theta*[v >= theta] - theta*[v < 0 and N > 0]``;
  then v = v0', N = 0, acc = 0 and the wake steps start.

Everything in the spiking path is integer (int64 state, int8 spikes).
"""

from __future__ import annotations

import os
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np

from fpgasnn.errors import RangeError, SimulationError
from fpgasnn.golden.ops import SynapseKernel, apply_transform, to_first, to_last
from fpgasnn.ir.network import Network
from fpgasnn.ir.nodes import AvgPool2D, Neuron, NeuronKind, Output
from fpgasnn.ir.ranges import RangeReport, analyze


@dataclass
class Trace:
    """Per-step record. ``phases[k]`` names step k; arrays are (steps, N, *layer_shape)."""

    phases: list[str]
    spikes: dict[str, np.ndarray]
    membranes: dict[str, np.ndarray]
    output: np.ndarray
    """(steps, N, classes): the output accumulator after each step."""
    v0_effective: dict[str, np.ndarray] = field(default_factory=dict)
    """Per-neuron initial membranes used by the wake steps (after the presim shift, if any)."""


@dataclass
class SimResult:
    scores: np.ndarray
    """(N, classes) int64 output accumulators."""
    classes: np.ndarray
    """(N,) int64 argmax of scores (first maximum)."""
    counts: dict[str, np.ndarray]
    """Per neuron layer, (N, *shape) final spike count N (positive minus negative, wake + sleep)."""
    spike_events: dict[str, np.ndarray]
    """Per neuron layer, (N,) number of nonzero spikes emitted over all steps (presim included)."""
    trace: Trace | None = None


def _check_images(net: Network, images: np.ndarray) -> np.ndarray:
    inp = net.input
    x = np.asarray(images)
    if x.shape[1:] != inp.shape:
        if x.shape == inp.shape:
            x = x[None]
        else:
            raise SimulationError(
                f"input layer {inp.name!r} expects images of shape (N, {', '.join(map(str, inp.shape))}), "
                f"got {x.shape}"
            )
    if x.dtype.kind not in "iub":
        raise SimulationError(
            f"input layer {inp.name!r} expects integer pixels ({inp.bits}-bit), got dtype {x.dtype}"
        )
    lo, hi = inp.value_range
    if x.size and (int(x.min()) < lo or int(x.max()) > hi):
        raise SimulationError(
            f"input layer {inp.name!r}: pixels must lie in [{lo}, {hi}], got [{int(x.min())}, {int(x.max())}]"
        )
    return x.astype(np.int64)


class _Checker:
    def __init__(self, rep: RangeReport | None) -> None:
        self.rep = rep

    def __call__(self, table: str, name: str, arr: np.ndarray) -> None:
        if self.rep is None or not arr.size:
            return
        iv = getattr(self.rep, table)[name]
        lo, hi = int(arr.min()), int(arr.max())
        if lo < iv.lo or hi > iv.hi:
            raise RangeError(
                f"layer {name!r}: {table} value range [{lo}, {hi}] leaves the proven [{iv.lo}, {iv.hi}]"
            )


def _fire(
    node: Neuron, v: np.ndarray, n: np.ndarray, t_wake: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Boolean masks (positive, negative) of this step's spikes; negative is None for plain IF."""
    pos = v >= node.theta
    if node.kind is NeuronKind.IF:
        return pos, None
    if node.kind is NeuronKind.CONSISTENT_IF:
        pos &= n < t_wake
    neg = (v < 0) & (n > 0)
    return pos, neg


def _run_batch(
    net: Network,
    x: np.ndarray,
    kernels: list[SynapseKernel],
    want_trace: bool,
    check: _Checker,
    sdt: type,
) -> SimResult:
    stages = net.stages()
    sched = net.schedule
    b = x.shape[0]
    first = stages[0]
    x0 = to_last(x.astype(kernels[0].dtype))
    for t in first.transforms:
        x0 = apply_transform(t, x0)
    cur0 = kernels[0](x0, bias_on=True)
    check("current", first.synapse.name, cur0)
    # spike counters: |count| <= total steps, so int8 while that is below 128 (fewer bytes per pass)
    cdt = np.int8 if sched.total < 128 else np.int32
    # plain IF without pre-simulation: every spike is +1 and the counter is never reset, so the events
    # are the final counts -- no per-step count_nonzero needed
    events_from_counts = {
        st.activation.name: st.activation.kind is NeuronKind.IF and not sched.presim
        for st in stages[:-1]
    }
    v0 = {}
    v: dict[str, np.ndarray] = {}
    cnt: dict[str, np.ndarray] = {}
    events: dict[str, np.ndarray] = {}
    for st in stages[:-1]:
        node = st.activation
        v0_arr = np.asarray(node.v0, dtype=sdt)
        if v0_arr.ndim == 3:
            v0_arr = v0_arr.transpose(1, 2, 0)
        shape = st.out_shape if len(st.out_shape) == 1 else (*st.out_shape[1:], st.out_shape[0])
        v0[node.name] = np.broadcast_to(v0_arr, (b, *shape))
        v[node.name] = v0[node.name].copy()
        cnt[node.name] = np.zeros((b, *shape), dtype=cdt)
        events[node.name] = np.zeros(b, dtype=np.int64)
    acc = np.zeros((b, *stages[-1].out_shape), dtype=sdt)
    phases = sched.phases()
    tr_s: dict[str, list[np.ndarray]] = {k: [] for k in v}
    tr_v: dict[str, list[np.ndarray]] = {k: [] for k in v}
    tr_o: list[np.ndarray] = []
    t_wake = 0
    for k, phase in enumerate(phases):
        if phase == "wake":
            if k == sched.presim and sched.presim:
                for st in stages[:-1]:
                    node = st.activation
                    vv, nn = v[node.name], cnt[node.name]
                    shift = node.theta * (
                        (vv >= node.theta).astype(sdt) - ((vv < 0) & (nn > 0)).astype(sdt)
                    )
                    v0[node.name] = v0[node.name] + shift
                    v[node.name] = v0[node.name].copy()
                    check("membrane", node.name, v[node.name])
                    nn[...] = 0
                acc[...] = 0
            t_wake += 1
        bias_on = phase != "sleep"
        spikes = None
        for i, st in enumerate(stages):
            if i == 0:
                cur = cur0 if bias_on else None
            else:
                s_in = spikes  # int8; pooling sums stay in int8 (see apply_transform)
                for t in st.transforms:
                    s_in = apply_transform(t, s_in)
                if not bias_on and not s_in.any():
                    cur = None
                else:
                    cur = kernels[i](s_in, bias_on)
                    check("current", st.synapse.name, cur)
            node = st.activation
            if isinstance(node, Output):
                if cur is not None:
                    acc += cur
                check("membrane", node.name, acc)
                break
            vv, nn = v[node.name], cnt[node.name]
            if cur is not None:
                vv += cur
            check("membrane", node.name, vv)
            pos, neg = _fire(node, vv, nn, t_wake)
            spikes = pos.view(np.int8)
            if neg is not None:
                spikes = spikes - neg.view(np.int8)
            # masked ufuncs (where=) are ~20x slower than these dense updates
            vv -= spikes * vv.dtype.type(node.theta)
            nn += spikes
            check("membrane", node.name, vv)
            if not events_from_counts[node.name]:
                events[node.name] += np.count_nonzero(spikes.reshape(b, -1), axis=1)
            if want_trace:
                tr_s[node.name].append(spikes.copy())
                tr_v[node.name].append(vv.astype(np.int64))
        if want_trace:
            tr_o.append(acc.astype(np.int64))
    for name, from_counts in events_from_counts.items():
        if from_counts:
            events[name] = cnt[name].reshape(b, -1).sum(axis=1, dtype=np.int64)
    trace = None
    if want_trace:
        trace = Trace(
            phases=phases,
            spikes={k: np.stack([to_first(s) for s in a]) for k, a in tr_s.items()},
            membranes={k: np.stack([to_first(m) for m in a]) for k, a in tr_v.items()},
            output=np.stack(tr_o),
            v0_effective={
                k: np.ascontiguousarray(to_first(a), dtype=np.int64) for k, a in v0.items()
            },
        )
    counts = {
        k: to_first(a) for k, a in cnt.items()
    }  # views; simulate() copies them out once, as int64
    return SimResult(
        acc.astype(np.int64), np.argmax(acc, axis=1).astype(np.int64), counts, events, trace
    )


def _kernels(net: Network, out_dtype: type, integer_only: bool = False) -> list[SynapseKernel]:
    """One kernel per stage, its exact dtype chosen from the bound on |input| after the transforms."""
    lo, hi = net.input.value_range
    bound = max(abs(lo), abs(hi))
    kernels = []
    for st in net.stages():
        shape = st.in_shape
        flat_chw = None
        for t in st.transforms:
            if isinstance(t, AvgPool2D):
                bound *= t.pool * t.pool
                shape = (shape[0], shape[1] // t.pool, shape[2] // t.pool)
            elif len(shape) == 3:
                flat_chw, shape = shape, (shape[0] * shape[1] * shape[2],)
        kernels.append(SynapseKernel(st.synapse, bound, out_dtype, flat_chw, integer_only))
        bound = 1  # spikes are in {-1, 0, 1}
    return kernels


_PREPARED: weakref.WeakKeyDictionary[Network, tuple] = weakref.WeakKeyDictionary()


def _prepare(
    net: Network, integer_only: bool = False
) -> tuple[RangeReport, type, list[SynapseKernel]]:
    """Range analysis, state dtype and kernels of ``net`` (cached per network object; nets are frozen)."""
    if integer_only:
        rep = analyze(net)
        return rep, np.int64, _kernels(net, np.int64, integer_only=True)
    hit = _PREPARED.get(net)
    if hit is None:
        rep = analyze(net)
        # State in int32 where range analysis proves it fits (faster), int64 otherwise; same values.
        fits32 = all(
            iv.lo >= -(1 << 31) and iv.hi < (1 << 31)
            for iv in list(rep.membrane.values()) + list(rep.current.values())
        )
        sdt = np.int32 if fits32 else np.int64
        hit = _PREPARED[net] = (rep, sdt, _kernels(net, sdt))
    return hit


_BLAS: list = []


def _blas_single_thread():
    """Context: BLAS on one thread. The golden model's products are small; a multi-threaded BLAS
    spends more than it gains on them, and on a shared machine its spinning threads cost 10x.
    (The controller, which scans the loaded libraries, is made once.)"""
    if not _BLAS:
        from threadpoolctl import ThreadpoolController

        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")


def simulate(
    net: Network,
    images: np.ndarray,
    *,
    trace: bool = False,
    check_ranges: bool = False,
    batch_size: int = 32,
    integer_only: bool = False,
    workers: int | None = None,
) -> SimResult:
    """Run the golden model on ``images`` (N, *input_shape) of integer pixels.

    ``trace=True`` also records every step's spikes and membranes of every layer.
    ``batch_size`` is the internal chunk: images are simulated ``batch_size`` at a time (32 keeps the
    working set in cache; larger chunks are slower on small machines). Results do not depend on it.
    ``check_ranges=True`` asserts every current, membrane and accumulator stays inside the intervals
    proven by :func:`fpgasnn.ir.ranges.analyze` (raises RangeError naming the layer otherwise).
    ``integer_only=True`` computes every synaptic sum in int64 instead of the float32/float64 BLAS
    carrier that range analysis proves exact (slower; identical results -- a property test checks it).
    ``workers``: threads simulating chunks side by side (NumPy releases the GIL in its loops), each with
    single-threaded BLAS; default: the CPUs this process may use. Results do not depend on it.
    """
    x = _check_images(net, images)
    rep, sdt, kernels = _prepare(net, integer_only)
    check = _Checker(rep if check_ranges else None)
    starts = list(range(0, len(x), batch_size)) or [0]
    if workers is None:
        workers = (
            len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else (os.cpu_count() or 1)
        )
    workers = max(1, min(int(workers), len(starts)))

    def run(i: int) -> SimResult:
        return _run_batch(net, x[i : i + batch_size], kernels, trace, check, sdt)

    with _blas_single_thread():
        if workers == 1:
            parts = [run(i) for i in starts]
        else:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="golden") as pool:
                parts = list(pool.map(run, starts))
    counts = {
        k: np.empty((len(x), *a.shape[1:]), dtype=np.int64) for k, a in parts[0].counts.items()
    }
    for i, p in zip(range(0, len(x), batch_size), parts, strict=False):
        for k, a in p.counts.items():
            counts[k][i : i + len(a)] = a
    if len(parts) == 1:
        return replace(
            parts[0],
            counts=counts
            if len(x)
            else {k: np.ascontiguousarray(a, dtype=np.int64) for k, a in parts[0].counts.items()},
        )
    cat = np.concatenate
    tr = None
    if trace:
        t0 = parts[0].trace
        tr = Trace(
            phases=t0.phases,
            spikes={k: cat([p.trace.spikes[k] for p in parts], axis=1) for k in t0.spikes},
            membranes={k: cat([p.trace.membranes[k] for p in parts], axis=1) for k in t0.membranes},
            output=cat([p.trace.output for p in parts], axis=1),
            v0_effective={
                k: cat([p.trace.v0_effective[k] for p in parts]) for k in t0.v0_effective
            },
        )
    return SimResult(
        scores=cat([p.scores for p in parts]),
        classes=cat([p.classes for p in parts]),
        counts=counts,
        spike_events={k: cat([p.spike_events[k] for p in parts]) for k in parts[0].spike_events},
        trace=tr,
    )
