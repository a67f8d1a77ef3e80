"""The RTL plan (no external tool): deterministic, complete, and the cycle model's basic laws."""

from __future__ import annotations

import numpy as np
import pytest

from fpgasnn.backends.rtl import rtl_plan
from fpgasnn.backends.rtl.context import WROM_SEGMENT, build_context, tmap_segment_rows
from fpgasnn.backends.rtl.cycles import estimate
from fpgasnn.errors import BackendError
from fpgasnn.hw import HwConfig, lower
from fpgasnn.hw.stimulus import random_images
from fpgasnn.ir.examples import random_network, reference_mnist, tiny


def test_plan_is_deterministic_and_complete():
    a, b = rtl_plan(tiny(), 4), rtl_plan(tiny(), 4)
    assert a == b
    assert {"snn_top.v", "snn_stage.v", "snn_ctrl.v", "conv1_w000.mem", "fc_w000.mem"} <= set(a)
    assert "u_conv1" in a["snn_top.v"] and "u_fc" in a["snn_top.v"]
    assert list(a) == sorted(a)


def test_weight_memory_holds_every_weight():
    net = tiny()
    plan = rtl_plan(net, 4)
    words = plan["fc_w000.mem"].split()
    # dense: one word per (chunk, row); 4 lanes of 4-bit weights -> 4 hex digits
    ctx = build_context(net, 4)
    fc = ctx.stages[1]
    assert len(words) == int(fc.params["WDEPTH"]) == fc.och * int(fc.params["RROWS"])
    total = 0
    for wd in words:
        v = int(wd, 16)
        for lane in range(4):
            x = (v >> (4 * lane)) & 0xF
            total += x - 16 if x >= 8 else x
    assert total == int(net.node("fc").weight.sum())


def test_deep_weight_rom_is_stored_in_segments_one_block_ram_deep():
    net = reference_mnist()
    plan = rtl_plan(net, 16)
    ctx = build_context(net, 16)
    for st in ctx.stages:
        depth = int(st.params["WDEPTH"])
        names = sorted(k for k in plan if k.startswith(f"{st.name}_w") and k.endswith(".mem"))
        segs = [plan[k].split() for k in names]
        assert names == [f"{st.name}_w{i:03d}.mem" for i in range(-(-depth // WROM_SEGMENT))]
        assert all(len(w) == WROM_SEGMENT for w in segs[:-1]) and 0 < len(segs[-1]) <= WROM_SEGMENT
        assert sum(len(w) for w in segs) == depth
    assert len([k for k in plan if k.startswith("fc1_w")]) > 1  # the big dense layer is split
    assert WROM_SEGMENT * 18 == 18432  # one block RAM deep in 18-bit columns


def test_deep_tap_map_is_stored_in_segments_one_block_ram_deep():
    net = reference_mnist()
    hw = lower(net, HwConfig.make(16, taps=1))
    plan = rtl_plan(hw)
    ctx = build_context(hw)
    conv = [st for st in ctx.stages if int(st.params["IS_DENSE"]) == 0]
    assert conv
    for st in conv:
        depth, seg = int(st.params["TDEPTH"]), int(st.params["TSEG_ROWS"])
        bits = int(st.params["BANKS"]) * (1 + int(st.params["TWB"]) + int(st.params["TMB"]))
        assert seg == tmap_segment_rows(bits) and seg * min(bits, 18) <= 18432
        names = sorted(k for k in plan if k.startswith(f"{st.name}_t") and k.endswith(".mem"))
        assert names == [f"{st.name}_t{i:03d}.mem" for i in range(-(-depth // seg))]
        rows = [plan[k].split() for k in names]
        assert all(len(r) == seg for r in rows[:-1]) and sum(len(r) for r in rows) == depth
    assert len([k for k in plan if k.startswith("conv1_t")]) > 1  # 784 x 9 rows: split
    assert tmap_segment_rows(8) == 2048 and tmap_segment_rows(15) == 1024
    assert tmap_segment_rows(30) == tmap_segment_rows(135) == 1024


def test_lanes_are_capped_at_channels_any_count():
    ctx = build_context(reference_mnist(), {"conv1": 6, "conv2": 64, "fc1": 3, "fc2": 16})
    assert [s.lanes for s in ctx.stages] == [6, 32, 3, 10]
    assert [s.och for s in ctx.stages] == [3, 1, 22, 1]
    with pytest.raises(BackendError, match="lanes must be >= 1"):
        build_context(tiny(), 0)


def test_cycle_model_bound_and_sparsity():
    net = tiny()
    x = random_images(net, 6, 0)
    est = estimate(net, x, 4)
    assert np.all(est.lower_bound <= est.cycles)
    # streaming N images takes at least the busiest layer's bound summed over them
    starts = np.concatenate([[0], np.cumsum(est.interval[:-1])])
    assert starts[-1] + est.cycles[-1] >= est.layer_bound.sum(axis=0).max()
    assert np.all(est.alone <= est.cycles)
    # pipelined: a new image enters before the previous one has left
    assert np.all(est.interval[:-1] < est.cycles[:-1])
    # fewer input events (darker images) -> fewer cycles
    dark = (x // 4).astype(np.int64)
    assert estimate(net, dark, 4).cycles.sum() < est.cycles.sum()
    zero = np.zeros_like(x)
    assert np.all(estimate(net, zero, 4).events[:, 0] == 0)


def test_more_lanes_fewer_cycles():
    net = random_network(3)
    x = random_images(net, 4, 1)
    c1 = estimate(net, x, 1).cycles
    c4 = estimate(net, x, 4).cycles
    assert np.all(c4 < c1)


def test_auto_lanes_spends_the_budget_where_the_events_are():
    from fpgasnn.hw.auto import auto_lanes

    net = reference_mnist()
    x = random_images(net, 4, 0)
    est = estimate(net, x, 1)
    one = lower(net, HwConfig.make(1))
    for budget in (8, 32, 128):
        lanes = auto_lanes(one, x, budget)
        assert sum(lanes.values()) <= budget
        # the layer with the most events gets the most lanes, up to its output channels (conv2: 32)
        busiest = [s.synapse.name for s in net.stages()][int(est.events.mean(axis=0).argmax())]
        assert busiest == "conv2"
        assert lanes[busiest] == min(max(lanes.values()), 32)
    a = estimate(net, x, auto_lanes(one, x, 64)).cycles.mean()
    assert a < estimate(net, x, 16).cycles.mean()
    assert build_context(net, "auto64").stages[1].lanes == auto_lanes(one, None, 64)["conv2"]
    with pytest.raises(BackendError, match="auto"):
        build_context(net, "fast")
    with pytest.raises(BackendError, match="budget"):
        auto_lanes(one, x, 2)


def test_cli_parses_auto_and_per_layer_lanes():
    from fpgasnn.cli.build_cmd import parse_lanes

    assert parse_lanes(["auto"]) == "auto"
    assert parse_lanes(["Auto64"]) == "auto64"
    assert parse_lanes(["conv2=64,fc1=32"]) == {"conv2": 64, "fc1": 32}
    assert parse_lanes(["8"]) == 8
