"""Lint (verilator --lint-only -Wall) and synthesis (Yosys synth_xilinx, no latches) of generated cores."""

from __future__ import annotations

import pytest

from conftest import need
from fpgasnn import toolchain
from fpgasnn.backends.plan import write_plan
from fpgasnn.backends.rtl import rtl_plan
from fpgasnn.backends.rtl.context import build_context
from fpgasnn.backends.rtl.emit import LIBRARY, TOP
from fpgasnn.backends.rtl.synth import count_cells, synth
from fpgasnn.errors import BackendError
from fpgasnn.hw import HwConfig
from fpgasnn.ir.examples import random_network, tiny
from fpgasnn.ir.nodes import NeuronKind, Schedule


@pytest.mark.tool
@pytest.mark.parametrize(
    "net,lanes",
    [
        (tiny(), 4),
        (random_network(1, kind=NeuronKind.SIGNED_IF), 2),
        (
            random_network(
                2,
                kind=NeuronKind.CONSISTENT_IF,
                schedule=Schedule(wake=2, presim=2, sleep=1),
                per_neuron_v0=True,
            ),
            1,
        ),
        # the ECP5 build: the scatter's sum registered before the write (a 4:1 forward)
        (tiny(), HwConfig.make(4, taps="all", write_register=True)),
    ],
)
def test_lint_wall_clean(net, lanes, tmp_path):
    need("verilator")
    write_plan(rtl_plan(net, lanes), tmp_path)
    out = toolchain.run_tool(
        [
            str(toolchain.verilator_bin_dir() / "verilator"),
            "--lint-only",
            "-Wall",
            "--top-module",
            TOP,
            *LIBRARY,
            f"{TOP}.v",
        ],
        cwd=tmp_path,
        env=toolchain.verilator_env(),
        what="verilator lint",
    )
    assert "%Warning" not in out and "%Error" not in out


def test_count_cells_maps_xilinx_primitives():
    r = count_cells(
        {
            "LUT2": 3,
            "LUT6": 4,
            "FDRE": 5,
            "FDSE": 1,
            "RAMB18E1": 2,
            "RAMB36E1": 1,
            "DSP48E1": 2,
            "CARRY4": 9,
            "RAM64M": 2,
            "RAM32X1D": 1,
            "SRLC32E": 3,
            "INV": 5,
        }
    )
    # LUT: 7 logic + 4 x 2 (RAM64M) + 2 (RAM32X1D) + 3 (shift registers); INV is not a LUT
    assert (r.LUT, r.FF, r.BRAM_18K, r.DSP) == (20, 6, 4, 2)
    assert r.LUT_memory == 13
    with pytest.raises(BackendError, match="latches"):
        count_cells({"LDCE": 1})
    with pytest.raises(BackendError, match="RAM1024X9Q"):
        count_cells({"RAM1024X9Q": 1})


@pytest.mark.tool
@pytest.mark.slow
def test_synth_tiny_no_latch_dsp_only_in_first_layer(tmp_path):
    need("yosys")
    net = tiny()
    r = synth(net, 4, tmp_path)
    assert r.LUT > 0 and r.FF > 0
    assert build_context(net, 4).stages[0].lanes >= r.DSP
