"""Hand-computed cases for each neuron kind and each schedule phase (DESIGN.md section 2)."""

from __future__ import annotations

import numpy as np

from fpgasnn.golden import simulate
from fpgasnn.ir import Dense, Input, Network, Neuron, NeuronKind, Output, Schedule


def chain(
    layers: list[tuple[int, int, NeuronKind, int, int]],
    schedule: Schedule,
    signed_input: bool = False,
) -> Network:
    """A chain of single neurons: each entry (weight, bias, kind, theta, v0); output = last layer's spikes."""
    nodes: list = [Input("in", (1,), bits=8, signed=signed_input)]
    for i, (w, b, kind, theta, v0) in enumerate(layers):
        nodes += [Dense(f"fc{i}", [[w]], [b]), Neuron(f"sn{i}", kind, theta, v0)]
    nodes += [Dense("fc_out", [[1]], [0]), Output("out")]
    return Network(tuple(nodes), schedule)


def spikes(res, name: str) -> list[int]:
    return res.trace.spikes[name][:, 0, 0].tolist()


def test_if_reset_by_subtraction():
    net = chain([(1, 0, NeuronKind.IF, 4, 2)], Schedule(wake=4))
    res = simulate(net, np.array([[3]]), trace=True)
    # v: 2+3=5 fire ->1; 1+3=4 fire ->0; 0+3=3; 3+3=6 fire ->2
    assert spikes(res, "sn0") == [1, 1, 0, 1]
    assert res.trace.membranes["sn0"][:, 0, 0].tolist() == [1, 0, 3, 2]
    assert res.counts["sn0"].tolist() == [[3]]
    assert res.scores.tolist() == [[3]]


def test_if_bias_added_every_step():
    net = chain([(1, 2, NeuronKind.IF, 5, 0)], Schedule(wake=3))
    res = simulate(net, np.array([[1]]), trace=True)
    # current 1 + 2 = 3 per step: 3; 6 fire -> 1; 4
    assert spikes(res, "sn0") == [0, 1, 0]


def test_signed_if_negative_spike_cancels():
    # layer 0: IF theta 2, current 1 -> spikes 0,1,0,1. layer 1: current 2 - 3*s = 2,-1,2,-1
    layers = [(1, 0, NeuronKind.IF, 2, 0), (-3, 2, NeuronKind.SIGNED_IF, 3, 0)]
    res = simulate(chain(layers, Schedule(wake=4)), np.array([[1]]), trace=True)
    assert spikes(res, "sn0") == [0, 1, 0, 1]
    # v: 2; 1; 3 fire+ ->0 (N=1); -1 <0 and N>0: fire- -> 2 (N=0)
    assert spikes(res, "sn1") == [0, 0, 1, -1]
    assert res.trace.membranes["sn1"][:, 0, 0].tolist() == [2, 1, 0, 2]
    assert res.counts["sn1"].tolist() == [[0]]
    # the same chain with a plain IF keeps the spike and the negative membrane
    layers[1] = (-3, 2, NeuronKind.IF, 3, 0)
    res = simulate(chain(layers, Schedule(wake=4)), np.array([[1]]), trace=True)
    assert spikes(res, "sn1") == [0, 0, 1, 0]
    assert res.trace.membranes["sn1"][:, 0, 0].tolist() == [2, 1, 0, -1]


def test_signed_if_no_negative_spike_without_count():
    net = chain([(-1, 0, NeuronKind.SIGNED_IF, 4, 0)], Schedule(wake=3))
    res = simulate(net, np.array([[2]]), trace=True)
    assert spikes(res, "sn0") == [0, 0, 0]
    assert res.trace.membranes["sn0"][:, 0, 0].tolist() == [-2, -4, -6]


def test_sleep_steps_zero_input_bias_off_and_consistent_if_cap():
    # wake=2, sleep=2. layer 0: IF theta 2, current 1: wake 0,1; sleep: zero input -> 0,0.
    # layer 1: weight 5, bias 1, theta 2: wake v=1; 1+6=7 fire ->5 (N=1);
    # sleep (no bias, no input): 5 fire (N=1 < 2 wake steps) ->3; 3 >= 2 but N=2: capped.
    layers = [(1, 0, NeuronKind.IF, 2, 0), (5, 1, NeuronKind.CONSISTENT_IF, 2, 0)]
    sched = Schedule(wake=2, sleep=2)
    res = simulate(chain(layers, sched), np.array([[1]]), trace=True)
    assert res.trace.phases == ["wake", "wake", "sleep", "sleep"]
    assert spikes(res, "sn0") == [0, 1, 0, 0]
    assert spikes(res, "sn1") == [0, 1, 1, 0]
    assert res.trace.membranes["sn1"][:, 0, 0].tolist() == [1, 5, 3, 3]
    assert res.counts["sn1"].tolist() == [[2]]
    # the output keeps accumulating in sleep steps (bias of fc_out is 0)
    assert res.trace.output[:, 0, 0].tolist() == [0, 1, 2, 2]
    # a signed IF is not capped: it fires again in the last sleep step
    layers[1] = (5, 1, NeuronKind.SIGNED_IF, 2, 0)
    res = simulate(chain(layers, sched), np.array([[1]]), trace=True)
    assert spikes(res, "sn1") == [0, 1, 1, 1]


def test_consistent_if_negative_spike():
    layers = [(1, 0, NeuronKind.IF, 2, 0), (-3, 2, NeuronKind.CONSISTENT_IF, 3, 0)]
    res = simulate(chain(layers, Schedule(wake=4)), np.array([[1]]), trace=True)
    assert spikes(res, "sn1") == [0, 0, 1, -1]


def test_presim_shifts_initial_membrane_up_when_owed():
    # theta 2, current 5: presim v=5 fire ->3; 3+5=8 fire ->6 >= theta: owes -> v0' = 0 + 2
    net = chain([(1, 0, NeuronKind.IF, 2, 0)], Schedule(wake=2, presim=2))
    res = simulate(net, np.array([[5]]), trace=True)
    assert res.trace.phases == ["presim", "presim", "wake", "wake"]
    assert res.trace.v0_effective["sn0"].tolist() == [[2]]
    # wake restarts from v0' = 2: 7 fire ->5; 10 fire ->8
    assert res.trace.membranes["sn0"][:, 0, 0].tolist() == [3, 6, 5, 8]
    assert res.counts["sn0"].tolist() == [[2]]
    # the output accumulator is reset after presim: only the 2 wake spikes count
    assert res.scores.tolist() == [[2]]


def test_presim_shifts_initial_membrane_down_after_extra_spike():
    # theta 4, v0 7, current -2: presim 5 fire ->1 (N=1); -1 < 0 with N > 0 -> v0' = 7 - 4 = 3
    net = chain([(-2, 0, NeuronKind.IF, 4, 7)], Schedule(wake=2, presim=2))
    res = simulate(net, np.array([[1]]), trace=True)
    assert res.trace.v0_effective["sn0"].tolist() == [[3]]
    assert spikes(res, "sn0") == [1, 0, 0, 0]
    assert res.counts["sn0"].tolist() == [[0]]


def test_per_neuron_initial_membrane():
    nodes = (
        Input("in", (2,)),
        Dense("fc", [[1, 0], [0, 1]], None),
        Neuron("sn", NeuronKind.IF, 4, np.array([0, 3])),
        Dense("o", [[1, 0], [0, 1]]),
        Output("out"),
    )
    res = simulate(Network(nodes, Schedule(wake=1)), np.array([[1, 1]]))
    assert res.counts["sn"].tolist() == [[0, 1]]


def test_first_maximum_wins_argmax():
    nodes = (Input("in", (1,)), Dense("fc", [[1], [1], [0]], [0, 0, 0]), Output("out"))
    res = simulate(Network(nodes, Schedule(wake=2)), np.array([[3]]))
    assert res.scores.tolist() == [[6, 6, 0]]
    assert res.classes.tolist() == [0]
