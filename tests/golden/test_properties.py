"""Property tests of the golden model (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fpgasnn.golden import simulate
from fpgasnn.ir import Dense, Input, Network, Neuron, NeuronKind, Output, Schedule, examples

KINDS = st.sampled_from(list(NeuronKind))


@settings(max_examples=200, deadline=None)
@given(z=st.integers(-300, 300), levels=st.integers(1, 8), half=st.integers(1, 60), kind=KINDS)
def test_qcfs_identity(z, levels, half, kind):
    """Constant input z, T = L, v0 = theta/2: count == clip(floor(z*T/theta + 0.5), 0, T)."""
    theta = 2 * half
    nodes = (
        Input("in", (1,), bits=10, signed=True),
        Dense("fc", [[1]], None),
        Neuron("sn", kind, theta, half),
        Dense("o", [[1]]),
        Output("out"),
    )
    res = simulate(Network(nodes, Schedule(wake=levels)), np.array([[z]]))
    expected = min(max((2 * z * levels + theta) // (2 * theta), 0), levels)
    assert int(res.counts["sn"][0, 0]) == expected


def _random_inputs(net: Network, rng: np.random.Generator, n: int) -> np.ndarray:
    lo, hi = net.input.value_range
    x = rng.integers(lo, hi, size=(n, *net.input.shape), endpoint=True)
    x[0] = hi  # extremes reach the range-analysis corners most often
    x[1] = lo
    return x


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    kind=KINDS,
    wake=st.integers(1, 5),
    presim=st.sampled_from([0, 2]),
    sleep=st.sampled_from([0, 3]),
)
def test_random_networks_invariants(seed, kind, wake, presim, sleep):
    net = examples.random_network(seed, kind=kind, schedule=Schedule(wake, presim, sleep))
    x = _random_inputs(net, np.random.default_rng(seed), 6)
    # check_ranges asserts every current, membrane and accumulator lies within the proven intervals,
    # i.e. the widths from range analysis never overflow (the simulator itself runs in int32/int64)
    res = simulate(net, x, check_ranges=True, trace=True)
    for node in net.neurons():
        counts = res.counts[node.name]
        if node.kind.signed:
            assert counts.min() >= 0, f"{node.name}: a signed neuron ended with a negative count"
        if node.kind is NeuronKind.CONSISTENT_IF:
            assert counts.max() <= wake, f"{node.name}: consistent IF exceeded the wake-step count"
        # the trace's spikes add up to the counts (wake + sleep steps only)
        steps = [i for i, p in enumerate(res.trace.phases) if p != "presim"]
        assert np.array_equal(
            res.trace.spikes[node.name][steps].sum(axis=0, dtype=np.int64), counts
        )
        # spike events: nonzero spikes over every step, presim included
        spk = res.trace.spikes[node.name]
        assert np.array_equal(
            res.spike_events[node.name],
            np.count_nonzero(spk.reshape(spk.shape[0], spk.shape[1], -1), axis=(0, 2)),
        )


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_batching_does_not_change_results(seed):
    net = examples.random_network(seed)
    x = _random_inputs(net, np.random.default_rng(seed), 9)
    a = simulate(net, x, batch_size=2, trace=True)
    b = simulate(net, x, batch_size=64, trace=True)
    assert np.array_equal(a.scores, b.scores)
    for k in a.trace.spikes:
        assert np.array_equal(a.trace.spikes[k], b.trace.spikes[k])
        assert np.array_equal(a.trace.membranes[k], b.trace.membranes[k])


def test_widths_are_tight_enough_to_matter():
    """Range analysis gives finite widths that the reference net actually needs most of."""
    from fpgasnn.ir import annotate_widths

    net = annotate_widths(examples.reference_mnist())
    bits = {n.name: n.membrane_bits for n in net.neurons()}
    assert all(8 <= b <= 32 for b in bits.values()), bits
    res = simulate(net, _random_inputs(net, np.random.default_rng(0), 8), trace=True)
    for name, b in bits.items():
        peak = int(np.abs(res.trace.membranes[name]).max())
        assert peak < (1 << (b - 1))


def _scaled(net: Network, factor: int) -> Network:
    """``net`` with every weight, bias, threshold and initial membrane times ``factor``: the same spikes,
    but synaptic sums past 2**24 (float64 carrier) or 2**53 (int64) for a large enough factor."""
    from dataclasses import replace as dc_replace

    from fpgasnn.ir import Conv2D

    nodes = []
    for n in net.nodes:
        if isinstance(n, (Conv2D, Dense)):
            n = dc_replace(
                n, weight=n.weight * factor, bias=None if n.bias is None else n.bias * factor
            )
        elif isinstance(n, Neuron):
            n = dc_replace(
                n,
                theta=n.theta * factor,
                v0=np.asarray(n.v0) * factor if np.ndim(n.v0) else n.v0 * factor,
            )
        nodes.append(n)
    return Network(tuple(nodes), net.schedule)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), factor=st.sampled_from([1, 1 << 20, 1 << 33, 1 << 40]))
def test_float_carrier_equals_integer_only(seed, factor):
    """The BLAS carrier chosen by range analysis (float32, float64 or int64) gives the int64 results
    (factor 1: float32; 2**20, 2**33: float64; 2**40: float64 and int64 layers)."""
    net = _scaled(examples.random_network(seed), factor)
    x = _random_inputs(net, np.random.default_rng(seed), 5)
    a = simulate(net, x, trace=True)
    b = simulate(net, x, trace=True, integer_only=True)
    assert np.array_equal(a.scores, b.scores)
    for k in a.trace.spikes:
        assert np.array_equal(a.trace.spikes[k], b.trace.spikes[k])
        assert np.array_equal(a.trace.membranes[k], b.trace.membranes[k])
    if factor == 1:  # scaling every quantity of a layer by the same factor leaves the spikes alone
        return
    base = simulate(examples.random_network(seed), x, trace=True)
    for k in a.trace.spikes:
        assert np.array_equal(a.trace.spikes[k], base.trace.spikes[k])


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_worker_threads_do_not_change_results(seed):
    net = examples.random_network(seed)
    x = _random_inputs(net, np.random.default_rng(seed), 11)
    a = simulate(net, x, batch_size=2, trace=True, workers=1)
    b = simulate(net, x, batch_size=2, trace=True, workers=3)
    assert np.array_equal(a.scores, b.scores) and np.array_equal(a.classes, b.classes)
    for k in a.counts:
        assert np.array_equal(a.counts[k], b.counts[k])
        assert np.array_equal(a.spike_events[k], b.spike_events[k])
        assert np.array_equal(a.trace.spikes[k], b.trace.spikes[k])
        assert np.array_equal(a.trace.membranes[k], b.trace.membranes[k])
