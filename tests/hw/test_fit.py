"""The ``fit[PCT]`` lanes setting: the fastest lanes and taps whose estimated resources fit a share of
a board, and the estimate it searches with (memory rules measured on Yosys; the whole estimate checked
against a real Yosys run of a fitted core)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from conftest import need
from fpgasnn.backends.rtl.context import build_context
from fpgasnn.backends.rtl.cycles import estimate as cycles
from fpgasnn.backends.rtl.estimate import (
    WRITE_REGISTER_COEF,
    Memory,
    estimate,
    live_bits,
    stage_features,
    stage_memories,
)
from fpgasnn.backends.rtl.fit import fit
from fpgasnn.boards import load_board
from fpgasnn.cli import main
from fpgasnn.errors import BackendError
from fpgasnn.hw import HwConfig, LanesPolicy, lower
from fpgasnn.hw.stimulus import random_images
from fpgasnn.ir.examples import random_network, reference_mnist, tiny
from fpgasnn.ir.serialize import dumps


@pytest.mark.parametrize(
    ("mem", "cost"),
    [
        # (what synth_xilinx -family xc7 made of one such memory, bench/estimate.py module docstring)
        (Memory("ram", 20, 288, rom=False), (4 * 48, 0)),  # 48 RAM32M
        (Memory("ram", 50, 288, rom=False), (4 * 96, 0)),  # 96 RAM64M
        (Memory("ram", 100, 36, rom=False), (0, 1)),  # one RAMB18E1 (512 x 36)
        (Memory("ram", 128, 20, rom=False), (4 * 14 + 22, 0)),  # 14 RAM64M + 2:1 select, not a BRAM
        (Memory("ram", 128, 24, rom=False), (0, 1)),  # 16 RAM64M would be too many
        (Memory("ram", 128, 43, rom=False), (4 * 30 + 45, 0)),  # 30 RAM64M + select, not 2 BRAMs
        (Memory("ram", 128, 288, rom=False), (0, 8)),  # four RAMB36E1
        (Memory("ram", 1024, 18, rom=False), (0, 1)),
        (Memory("rom", 64, 64, rom=True), (64, 0)),  # 64 LUT6
        (Memory("rom", 100, 36, rom=True), (72, 0)),  # 72 LUT6 (+ MUXF7)
        (Memory("rom", 300, 72, rom=True), (0, 2)),  # one RAMB36E1
        (Memory("rom", 784, 14, rom=True, copies=3), (0, 3)),
    ],
)
def test_memories_are_counted_as_yosys_maps_them(mem, cost):
    assert mem.cost() == cost


def test_a_rom_costs_only_its_non_constant_bits():
    """Yosys drops the bits of a ROM that are the same in every row (one-off run: 1,024 x 36 with
    18 constant bits -> one RAMB18E1 and 18 FDRE), so the estimate counts the live bits only."""
    assert live_bits("a5\na5\n", 8) == 0  # a constant ROM is no memory at all
    assert live_bits("01\n02\n03\n", 8) == 2
    assert live_bits("ff\n0f\n", 4) == 0  # bits above the width do not count
    assert live_bits(None, 12) == 12  # no image: the declared width
    ctx = build_context(lower(random_network(0), HwConfig.make(4, taps="all")))
    st = ctx.stages[0]  # per-neuron initial membranes
    (v0,) = [m for m in stage_memories(st) if m.what == "initial membranes"]
    full = int(st.params["UPAR"]) * int(st.params["LANES"]) * int(st.params["MB"])
    assert v0.width == live_bits(st.mems[str(st.params["V0_FILE"])], full) > 0


def test_the_registered_write_costs_its_coefficient_per_scatter_bit():
    """The ECP5 build's core (``write_register``) estimates more LUTs and FFs than the plain one by
    :data:`WRITE_REGISTER_COEF` per scatter bit, stage by stage; the memories are the same."""
    plain, wreg = (
        build_context(lower(reference_mnist(), HwConfig.make(8, taps=1, write_register=w)))
        for w in (False, True)
    )
    for p, w in zip(estimate(plain).stages, estimate(wreg).stages, strict=True):
        (st,) = [s for s in wreg.stages if s.hw.name == w.name]
        bits = stage_features(st)["scatter_bits"]
        assert bits > 0 and (w.BRAM_18K, w.DSP) == (p.BRAM_18K, p.DSP)
        assert abs(w.LUT - p.LUT - WRITE_REGISTER_COEF["LUT"] * bits) <= 1
        assert abs(w.FF - p.FF - WRITE_REGISTER_COEF["FF"] * bits) <= 1


def test_fit_is_a_lanes_policy_resolved_against_a_board():
    assert LanesPolicy.parse("fit").fit_pct == 90
    assert LanesPolicy.parse("FIT95").describe() == "fit95"
    for bad, msg in [("fit0", "1..100"), ("fit101", "1..100"), ("fitx", "share of the board")]:
        with pytest.raises(BackendError, match=msg):
            LanesPolicy.parse(bad)
    with pytest.raises(BackendError, match="fit --board"):
        lower(tiny(), HwConfig.make("fit"))


def test_fit_takes_the_fastest_setting_that_fits_and_says_why():
    net = reference_mnist()
    res = load_board("pynq-z2").resources
    small = fit(net, res, 50, board="pynq-z2")
    large = fit(net, res, 90, board="pynq-z2")
    x = random_images(net, 16, 0)  # what the search counts on by default

    def busy(hw):
        return cycles(hw, x).stage_cycles.mean(axis=0)

    for r, pct in ((small, 50), (large, 90)):
        limits = {k: res[k] * pct // 100 for k in ("LUT", "BRAM_18K")}
        assert r.limits == limits
        assert limits["LUT"] >= r.estimate.LUT and limits["BRAM_18K"] >= r.estimate.BRAM_18K
        assert r.estimate == estimate(build_context(r.hw))  # the estimate of what was chosen
        assert r.hw.lanes_policy == f"fit{pct} (pynq-z2)"
        np.testing.assert_allclose(r.work, busy(r.hw))
        assert r.latency_cycles > max(r.work) / 2 and r.interval_cycles > max(r.work) / 2
        text = "\n".join(r.summary())
        assert "(the slowest layer)" in text and "not faster: " in text
        # the same core lowered from its lanes and taps as a user would give them
        again = lower(net, HwConfig.make(r.lanes, taps=r.taps))
        assert [(s.lanes, s.taps) for s in again.stages] == [(s.lanes, s.taps) for s in r.hw.stages]
    assert "over 50 % of pynq-z2" in small.summary()[-1]
    assert "conv2, the slowest layer, is at its fastest" in large.summary()[-1]
    assert max(large.work) < max(small.work)
    assert large.estimate.LUT > small.estimate.LUT
    # nothing faster fits: every setting of the slowest layer that is faster costs more than the
    # limits allow once the others are as cheap as they can be at that speed (checked by brute force
    # on the slowest layer alone: doubling its lanes or all taps)
    i = int(np.argmax(small.work))
    st = small.hw.stages[i]
    checked = 0
    for change in ({"lanes": min(2 * st.lanes, st.out_c)}, {"taps": st.kernel_taps}):
        stages = list(small.hw.stages)
        stages[i] = replace(st, **change)
        faster = replace(small.hw, stages=tuple(stages))
        if max(busy(faster)) < max(small.work):
            e = estimate(build_context(faster))
            checked += 1
            assert small.limits["LUT"] < e.LUT or small.limits["BRAM_18K"] < e.BRAM_18K
    assert checked  # at least one faster setting was there to refuse
    # a fixed taps choice is kept: the search only moves lanes
    one = fit(net, res, 90, taps=1)
    assert all(s.taps == 1 for s in one.hw.stages)


def test_fit_refuses_what_it_cannot_estimate_or_place():
    net = tiny()
    with pytest.raises(BackendError, match="ECP5 board counts LUT4"):
        fit(net, {"LUT4": 83640, "FF": 83640, "EBR": 208, "MULT18": 156})  # ulx3s-85f
    with pytest.raises(
        BackendError, match="no setting fits 100 % of a tiny part .*the smallest needs"
    ):
        fit(reference_mnist(), {"LUT": 1000, "BRAM_18K": 4}, 100, board="a tiny part")


def test_build_with_fit_prints_the_choice(tmp_path, capsys):
    src = tmp_path / "net.snn"
    src.write_bytes(dumps(random_network(5)))
    assert main(["build", str(src), "--lanes", "fit50", "-o", str(tmp_path / "prj")]) == 0
    out = capsys.readouterr().out
    assert "lanes fit50 (pynq-z2)" in out
    assert "fit: the Verilog core's estimate LUT" in out and "not faster:" in out


@pytest.mark.tool
def test_a_fitted_core_fits_in_yosys_and_the_estimate_is_close(tmp_path):
    """A board of 4,000 LUTs and 4 BRAM18: the search must trade lanes for area; Yosys synthesis of
    what it chose must fit, and the estimate must be within 20 % of Yosys's counts."""
    need("yosys")
    from fpgasnn.backends.plan import write_plan
    from fpgasnn.backends.rtl.emit import rtl_plan
    from fpgasnn.backends.rtl.synth import synth_dir

    net = random_network(5)
    r = fit(net, {"LUT": 4000, "BRAM_18K": 4}, 100, board="a small part")
    write_plan(rtl_plan(r.hw), tmp_path, force=True)
    got = synth_dir(tmp_path)
    assert got.LUT <= 4000 and got.BRAM_18K <= 4
    assert abs(r.estimate.LUT - got.LUT) <= 0.2 * got.LUT
    assert r.estimate.BRAM_18K == got.BRAM_18K
    assert r.estimate.DSP == got.DSP


def test_a_sweep_refuses_fit_lanes_before_any_task():
    from fpgasnn.errors import UsageError
    from fpgasnn.sweep.space import SweepConfig

    with pytest.raises(UsageError, match="fit\\[PCT\\] picks one core per board"):
        SweepConfig(lanes=("16", "fit95"), boards=("pynq-z2",)).check()


@pytest.mark.parametrize("seed", range(4))
def test_stage_busy_is_the_cycle_models_count(seed):
    """What the search weighs per layer is exactly the cycle model's busy cycles of that stage."""
    from fpgasnn.backends.rtl.cycles import estimate as cycles
    from fpgasnn.backends.rtl.cycles import producer_spikes, stage_busy
    from fpgasnn.golden import simulate
    from fpgasnn.hw.stimulus import random_images

    net = random_network(seed)
    x = random_images(net, 5, seed)
    res = simulate(net, x, trace=True)
    for lanes, taps in ((1, 1), (3, "all"), ("auto64", "auto")):
        hw = lower(net, HwConfig.make(lanes, taps=taps))
        want = cycles(hw, x).stage_cycles
        spikes = producer_spikes(hw, res)
        for i, st in enumerate(hw.stages):
            np.testing.assert_array_equal(stage_busy(hw, st, x, spikes[i]), want[:, i])
