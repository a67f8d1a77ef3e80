"""Full-network cocotb benches on Verilator: scores, class and every layer's per-step spikes bit-exact
with the golden model, measured cycles equal to the cycle model, under idle input cycles, output
back-pressure, back-to-back images and a reset in the middle of an image; a drain check at the end
(the bench waits 100 cycles after the last expected beat, and the checker rejects extra beats)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import need

from fpgasnn.backends.hls.stimulus import random_images
from fpgasnn.backends.rtl.check import check
from fpgasnn.backends.rtl.context import build_context
from fpgasnn.backends.rtl.cycles import estimate
from fpgasnn.backends.rtl.sim import RtlSim
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


def test_tiny_idle_and_backpressure(tiny_sim):
    net = tiny_sim.net
    x = random_images(net, 6, 4)
    obs = tiny_sim.run(x, idle=0.3, backpressure=0.4, seed=7, tag="stress")
    res = check(net, build_context(net, 4), x, obs, timing=False)
    _assert_ok(res)
    assert all(m >= c for m, c in zip(res.cycles_measured, res.cycles_model))


def test_tiny_reset_in_the_middle(tiny_sim):
    net = tiny_sim.net
    x = random_images(net, 4, 5)
    obs = tiny_sim.run(x, reset_before=2, tag="reset")
    res = check(net, build_context(net, 4), x, obs)
    _assert_ok(res)


def test_random_network_every_phase(tmp_path_factory):
    net = random_network(5, kind=NeuronKind.CONSISTENT_IF, schedule=Schedule(wake=2, presim=2, sleep=2),
                         per_neuron_v0=True)
    sim = _sim(net, 1, tmp_path_factory, "rnd5")
    x = random_images(net, 6, 5)
    res = check(net, build_context(net, 1), x, sim.run(x))
    _assert_ok(res)


KINDS = list(NeuronKind)
SCHEDULES = [Schedule(wake=3), Schedule(wake=2, presim=2), Schedule(wake=2, sleep=2),
             Schedule(wake=2, presim=1, sleep=1)]


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
    net = reference_mnist()
    sim = _sim(net, 16, tmp_path_factory, "mnist")
    x = random_images(net, 50, 0)
    res = check(net, build_context(net, 16), x, sim.run(x))
    _assert_ok(res)
