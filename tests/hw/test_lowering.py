"""The hardware lowering is the one place that decides lanes (and everything else) for both back ends;
every unsupported condition is reported at once, before anything is written."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from fpgasnn.backends.hls import project_plan
from fpgasnn.backends.rtl import rtl_plan
from fpgasnn.boards import load_board
from fpgasnn.errors import BackendError
from fpgasnn.flow import build_project
from fpgasnn.hw import HwConfig, LanesPolicy, lower
from fpgasnn.ir.examples import random_network, reference_mnist, tiny
from fpgasnn.ir.network import Network
from fpgasnn.ir.nodes import Neuron


def _rtl_lanes(plan) -> list[int]:
    top = plan["snn_top.v"]
    return [int(v) for v in re.findall(r"\.LANES\((\d+)\)", top)]


def _policies(net: Network, rng: np.random.Generator) -> list:
    names = [s.synapse.name for s in net.stages()]
    odd = {n: int(rng.integers(1, 70)) for n in names if rng.random() < 0.7}
    return [1, 3, int(rng.integers(2, 40)), odd, "auto", f"auto{int(rng.integers(len(names), 90))}"]


@pytest.mark.parametrize("seed", range(6))
def test_both_back_ends_build_the_lowerings_lanes(seed):
    net = random_network(seed)
    rng = np.random.default_rng(seed)
    board = load_board("pynq-z2")
    for policy in _policies(net, rng):
        hw = lower(net, HwConfig.make(policy))
        want = [s.lanes for s in hw.stages]
        assert all(1 <= s.lanes <= s.out_c for s in hw.stages)
        assert _rtl_lanes(rtl_plan(hw)) == want, policy
        hls = project_plan(hw, board)
        params = hls["firmware/parameters.h"]
        for s in hw.stages:
            block = re.search(rf"struct {s.ident}_config_t \{{(.*?)\n\}};", params, re.S).group(1)
            assert f"static const unsigned lanes = {s.lanes};" in block, (policy, s.name)
        assert '"lanes": {' in hls["project.json"]


def test_lanes_policy_forms():
    assert LanesPolicy.parse(None) == LanesPolicy(every=1)
    assert LanesPolicy.parse("12") == LanesPolicy(every=12)
    assert LanesPolicy.parse("Auto64").auto_budget == 64
    assert LanesPolicy.parse("auto").auto_budget == 128
    assert LanesPolicy.parse("conv1=6, fc=3").per_layer == (("conv1", 6), ("fc", 3))
    assert LanesPolicy.parse({"conv1": 2}).describe() == "conv1=2"
    for bad, msg in [
        ("fast", r"expected a number, LAYER=N pairs, auto\[BUDGET\] or fit\[PCT\]"),
        ("autoX", "lane budget"),
        ("conv1=x", "layer 'conv1': expected an integer, got 'x'"),
        (0, "lanes must be >= 1"),
        ("auto0", "budget must be >= 1"),
        ({"a": 2.5}, "layer 'a': lanes must be an integer"),
    ]:
        with pytest.raises(BackendError, match=msg):
            LanesPolicy.parse(bad)
    with pytest.raises(BackendError, match=r"unknown layers \['nope'\]"):
        lower(tiny(), HwConfig.make({"nope": 2}))
    with pytest.raises(
        BackendError,
        match=r"layer 'conv1': parallel taps must be 1, all \(9\) or auto, "
        r"got 4",
    ):
        lower(tiny(), HwConfig.make(1, taps=4))


def test_auto_taps_go_where_the_slowest_layer_is():
    # reference MNIST (random weights): conv2 at one tap per cycle is by far the slowest layer; with
    # every tap of conv2 in parallel it still is, and no other convolution gets banks
    from fpgasnn.hw.auto import layer_events, layer_work

    net = reference_mnist()
    hw = lower(net, HwConfig.make("auto128", taps="auto"))
    assert hw.taps == {"conv1": 1, "conv2": 9, "fc1": 1, "fc2": 1}
    assert [s.banks for s in hw.stages] == [1, 9, 1, 1]
    one = lower(net, HwConfig.make(hw.lanes, taps=1))
    ev = layer_events(one)
    assert int(np.argmax(layer_work(one, ev))) == 1  # conv2 at taps 1
    work = layer_work(hw, ev)
    assert work[1] < layer_work(one, ev)[1] / 4 and int(np.argmax(work)) == 1


def test_one_error_names_every_unsupported_layer_and_nothing_is_written(tmp_path):
    net = reference_mnist()
    big = replace(
        net.node("sn1"), theta=1 << 33, v0=1 << 32
    )  # beyond the Verilog's 32-bit constants
    other = replace(net.node("sn3"), v0=-(1 << 40))
    net = net.with_node(big).with_node(other)
    with pytest.raises(BackendError) as e:
        build_project(net, "pynq-z2", tmp_path / "prj", 4)
    msg = str(e.value)
    assert msg.startswith("cannot build hardware for this network:")
    assert "layer 'sn1': threshold 8589934592 needs more than 32 bits" in msg
    assert (
        "layer 'sn3': initial membranes [-1099511627776, -1099511627776] need more than 32 bits"
        in msg
    )
    assert not (tmp_path / "prj").exists()


def test_records_are_what_the_back_ends_format():
    net = reference_mnist()
    hw = lower(net, HwConfig.make({"conv2": 8}, taps={"conv2": "all"}))
    conv2 = hw.stages[1]
    assert (conv2.pool, conv2.pooled_h, conv2.in_h, conv2.out_h, conv2.taps) == (2, 14, 28, 14, 9)
    assert hw.taps["fc1"] == 1
    assert np.array_equal(conv2.weight << conv2.w_shift, net.node("conv2").weight)
    assert isinstance(net.node("sn2"), Neuron)
    assert conv2.membrane_bits == lower(net).stages[1].membrane_bits


def test_banked_layers_update_two_positions_per_cycle_in_different_banks():
    net = reference_mnist()
    fast = lower(net, HwConfig.make(16, taps="all"))
    slow = lower(net, HwConfig.make(16, taps=1))
    # conv1 and conv2 banked (3 x 3 grid): positions 2p and 2p + 1 in different banks -> 2 per cycle;
    # unbanked layers and the output layer: 1
    assert [s.update_words for s in fast.stages] == [2, 2, 1, 1]
    assert [s.update_words for s in slow.stages] == [1, 1, 1, 1]
    for s in fast.stages:
        assert s.update_cycles == -(-s.out_positions // s.update_words) * s.chunks
        if s.update_words == 2:
            rows, cols = s.bank_grid
            oy, ox = np.divmod(np.arange(s.out_positions), s.out_w)
            bank = (oy % rows) * cols + ox % cols
            assert np.all(bank[0:-1:2] != bank[1::2])
    # a kernel one column wide banks by rows only: neighbours in a row share a bank -> 1 per cycle
    conv = replace(fast.stages[0], kw=1, pad_left=0)
    assert conv.bank_grid == (3, 1) and conv.update_words == 1
