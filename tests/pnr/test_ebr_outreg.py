"""Folding the register after a block RAM read port into the block RAM (ECP5 REGMODE OUTREG): on
netlists Yosys really made, where it must fold and where it must leave the design alone."""

from __future__ import annotations

import json

import pytest

from conftest import need
from fpgasnn import toolchain
from fpgasnn.pnr.ebr_outreg import pack_output_registers

MODULE = """
module m #(parameter W = 16, parameter KIND = 0) (
    input wire clk, input wire we, input wire en, input wire x,
    input wire [8:0] wa, input wire [8:0] ra, input wire [W-1:0] wd, output reg [W-1:0] q,
    output wire y
);
    (* no_rw_check *) reg [W-1:0] mem [0:511];
    reg [W-1:0] rd;
    always @(posedge clk) begin
        if (we) mem[wa] <= (KIND == 4) ? q + wd : wd;
        rd <= mem[ra];
        if (KIND != 2 || en) q <= (KIND == 1) ? (rd ^ {W{x}}) : rd;
    end
    assign y = (KIND == 3) ? rd[0] : 1'b0;
endmodule
"""


def _netlist(tmp_path, width: int, kind: int) -> dict:
    need("yosys")
    (tmp_path / "m.v").write_text(MODULE)
    toolchain.run_tool(
        [
            toolchain.yosys(),
            "-q",
            "-p",
            f"read_verilog -sv m.v; chparam -set W {width} -set KIND {kind} m; "
            "synth_ecp5 -top m -json m.json",
        ],
        cwd=tmp_path,
        what="Yosys synth_ecp5",
    )
    return json.loads((tmp_path / "m.json").read_text())


def _ebrs(netlist: dict) -> list[dict]:
    return [c for c in netlist["modules"]["m"]["cells"].values() if c["type"] == "DP16KD"]


def _ffs(netlist: dict) -> int:
    return sum(c["type"] == "TRELLIS_FF" for c in netlist["modules"]["m"]["cells"].values())


@pytest.mark.parametrize("width", [16, 64])  # one 18-bit port / 36-bit (pseudo dual port) blocks
def test_the_register_after_a_read_port_moves_into_the_block_ram(tmp_path, width):
    net = _netlist(tmp_path, width, 0)
    ffs, q = _ffs(net), net["modules"]["m"]["ports"]["q"]["bits"]
    rep = pack_output_registers(net, "m")
    assert rep.registers == width and rep.skipped == 0 and rep.ports == len(_ebrs(net))
    assert _ffs(net) == ffs - width
    driven = set()
    for ebr in _ebrs(net):
        p, c = ebr["parameters"], ebr["connections"]
        sides = [s for s in "AB" if p[f"REGMODE_{s}"] == "OUTREG"]
        assert sides == (["A", "B"] if width > 18 else ["B"])
        assert all(c[f"OCE{s}"] == ["1"] for s in sides)
        driven |= {c[f"DO{s}{i}"][0] for s in sides for i in range(18)}
    assert set(q) <= driven  # the output port is now driven by the block RAMs' registers


# logic after the read, an enabled register, a fan-out, a read-add-write loop through the block RAM
@pytest.mark.parametrize("kind", [1, 2, 3, 4])
def test_a_read_port_that_is_not_followed_by_a_plain_register_is_left_alone(tmp_path, kind):
    net = _netlist(tmp_path, 16, kind)
    before = json.dumps(net, sort_keys=True)
    rep = pack_output_registers(net, "m")
    assert (rep.registers, rep.ports) == (0, 0) and rep.skipped >= 1
    assert json.dumps(net, sort_keys=True) == before


ROM = """
module m (input wire clk, input wire [8:0] ra, output reg [63:0] q);
    reg [63:0] rom [0:511];
    integer i;
    initial for (i = 0; i < 512; i = i + 1) rom[i] = {4{i[15:0] * 16'd40503}};
    reg [63:0] rd;
    always @(posedge clk) begin
        rd <= rom[ra];
        q <= rd;
    end
endmodule
"""


def _rom_netlist(tmp_path) -> dict:
    need("yosys")
    (tmp_path / "m.v").write_text(ROM)
    toolchain.run_tool(
        [toolchain.yosys(), "-q", "-p", "read_verilog -sv m.v; synth_ecp5 -top m -json m.json"],
        cwd=tmp_path,
        what="Yosys synth_ecp5",
    )
    return json.loads((tmp_path / "m.json").read_text())


def test_a_rom_in_the_36_bit_mode_folds_with_its_idle_write_side_on_the_read_clock(tmp_path):
    net = _rom_netlist(tmp_path)
    ebrs = _ebrs(net)
    # Yosys: 36-bit (pseudo dual port) blocks, the write side's clock a constant, never enabled
    assert ebrs and all(c["connections"]["CLKA"] == ["0"] for c in ebrs)
    assert all(c["connections"]["CEA"] == ["0"] for c in ebrs)
    clock = net["modules"]["m"]["ports"]["clk"]["bits"]
    rep = pack_output_registers(net, "m")
    assert (rep.registers, rep.ports, rep.skipped) == (64, len(ebrs), 0)
    for c in _ebrs(net):
        conns, p = c["connections"], c["parameters"]
        assert p["REGMODE_A"] == p["REGMODE_B"] == "OUTREG"
        assert conns["CLKA"] == conns["CLKB"] == clock and conns["CEA"] == ["0"]


def test_a_write_side_that_may_write_keeps_its_own_clock(tmp_path):
    net = _rom_netlist(tmp_path)
    for c in _ebrs(net):
        c["connections"]["CEA"] = ["1"]  # (a constant clock, but enabled: not an idle side)
    before = json.dumps(net, sort_keys=True)
    rep = pack_output_registers(net, "m")
    assert (rep.registers, rep.ports) == (0, 0) and rep.skipped == len(_ebrs(net))
    assert json.dumps(net, sort_keys=True) == before


KEPT = """
(* keep_hierarchy *)
module add #(parameter W = 16, parameter REG = 1) (
    input wire clk, input wire [W-1:0] a, input wire [W-1:0] b, output wire [W-1:0] y
);
    reg [W-1:0] r;
    always @(posedge clk) r <= a + b;
    assign y = (REG != 0) ? r : a + b;
endmodule
module m #(parameter W = 16, parameter REG = 1) (
    input wire clk, input wire we, input wire [8:0] wa, input wire [8:0] ra,
    input wire [W-1:0] wd, output reg [W-1:0] q
);
    (* no_rw_check *) reg [W-1:0] mem [0:511];
    reg [W-1:0] rd;
    wire [W-1:0] s;
    add #(.W(W), .REG(REG)) u_add (.clk(clk), .a(q), .b(wd), .y(s));
    always @(posedge clk) begin
        if (we) mem[wa] <= s;
        rd <= mem[ra];
        q <= rd;
    end
endmodule
"""


@pytest.mark.parametrize("reg", [1, 0])
def test_a_loop_through_a_kept_module_is_a_loop_only_where_its_logic_joins_it(tmp_path, reg):
    """Read, add in a kept module (as snn_fwd_lane), write: with the sum registered inside the
    module the read register folds; with the sum passed straight through it is a read-add-write
    loop through the block RAM and stays in the fabric."""
    need("yosys")
    (tmp_path / "m.v").write_text(KEPT)
    toolchain.run_tool(
        [
            toolchain.yosys(),
            "-q",
            "-p",
            f"read_verilog -sv m.v; chparam -set REG {reg} m; hierarchy -top m; "
            "synth_ecp5 -top m -json m.json",
        ],
        cwd=tmp_path,
        what="Yosys synth_ecp5",
    )
    net = json.loads((tmp_path / "m.json").read_text())
    assert any("add" in name for name in net["modules"] if name != "m")  # the module was kept
    rep = pack_output_registers(net, "m")
    if reg:
        assert (rep.registers, rep.ports, rep.skipped) == (16, 1, 0)
    else:
        assert (rep.registers, rep.ports) == (0, 0) and rep.skipped == 1


def _conv_net():
    """1x28x28 -> conv8 3x3 -> pool2 -> dense10: a membrane memory of 676 words, in block RAM."""
    import numpy as np

    from fpgasnn.ir.network import Network
    from fpgasnn.ir.nodes import (
        AvgPool2D,
        Conv2D,
        Dense,
        Flatten,
        Input,
        Neuron,
        NeuronKind,
        Output,
        Schedule,
    )

    rng = np.random.default_rng(0)
    nodes = (
        Input("input", (1, 28, 28), bits=4),
        Conv2D("conv1", rng.integers(-7, 8, size=(8, 1, 3, 3)), rng.integers(-8, 9, 8)),
        Neuron("sn1", NeuronKind.IF, 40, 20),
        AvgPool2D("pool1", 2),
        Flatten("flatten"),
        Dense("fc", rng.integers(-7, 8, size=(10, 8 * 13 * 13)), rng.integers(-4, 5, 10)),
        Output("out"),
    )
    return Network(nodes, Schedule(wake=2), {"source": "tests/pnr/test_ebr_outreg.py"})


def test_a_registered_write_lets_the_membrane_read_register_fold(tmp_path):
    """A generated core whose conv1 membranes (current words) are in block RAM: without the
    registered write that memory's read register is in a read-add-write loop through its block RAM
    and stays in the fabric; with it (the ECP5 build) the sum reaches the block RAM from a register,
    and the read register folds."""
    need("yosys")
    from fpgasnn.backends.plan import write_plan
    from fpgasnn.backends.rtl import rtl_plan
    from fpgasnn.backends.rtl.emit import LIBRARY, TOP
    from fpgasnn.hw import HwConfig, lower

    reports = {}
    for wreg in (False, True):
        work = tmp_path / str(int(wreg))
        hw = lower(_conv_net(), HwConfig.make(8, taps=1, write_register=wreg))
        write_plan(rtl_plan(hw), work)
        toolchain.run_tool(
            [
                toolchain.yosys(),
                "-q",
                "-p",
                f"read_verilog -defer -sv {' '.join([*LIBRARY, f'{TOP}.v'])}; "
                f"hierarchy -top {TOP}; synth_ecp5 -top {TOP} -json s.json",
            ],
            cwd=work,
            what="Yosys synth_ecp5",
        )
        reports[wreg] = pack_output_registers(json.loads((work / "s.json").read_text()), TOP)
    plain, wreg = reports[False], reports[True]
    assert plain.skipped >= 1  # conv1's current memory: a loop
    assert wreg.skipped < plain.skipped and wreg.ports > plain.ports
    assert wreg.registers > plain.registers
