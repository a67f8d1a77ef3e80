"""ECP5 board files: their fields, the pin files beside them, and (with nextpnr) that every pin they
name exists on the part's package and the resource counts are the part's."""

from __future__ import annotations

import json
import re

import pytest

from conftest import need
from fpgasnn import toolchain
from fpgasnn.boards import (
    ECP5_RESOURCE_KEYS,
    _parse_ecp5,
    list_boards,
    list_ecp5_boards,
    load_board,
    load_ecp5_board,
)
from fpgasnn.errors import BackendError
from fpgasnn.pnr.flow import board_lpf
from fpgasnn.pnr.timing import utilization

PARTS = {
    "ulx3s-85f": ("LFE5U-85F-6BG381C", ["--85k", "--package", "CABGA381", "--speed", "6"], 25),
    "orangecrab-25f": (
        "LFE5U-25F-8MG285C",
        ["--25k", "--package", "CSFBGA285", "--speed", "8"],
        48,
    ),
    "ecp5-evn": (
        "LFE5UM5G-85F-8BG381C",
        ["--um5g-85k", "--package", "CABGA381", "--speed", "8"],
        12,
    ),
}
_LOCATE = re.compile(r'^LOCATE COMP "([^"]+)" SITE "([A-Z]+[0-9]+)";', re.MULTILINE)


def pins(text: str) -> dict[str, str]:
    return dict(_LOCATE.findall(text))


def test_ecp5_boards_are_listed_apart_from_project_boards():
    assert list_ecp5_boards() == sorted(PARTS)
    assert not set(list_ecp5_boards()) & set(list_boards())
    assert "pynq-z2" in list_boards()


@pytest.mark.parametrize("name", sorted(PARTS))
def test_ecp5_board_fields(name):
    b = load_ecp5_board(name)
    part, args, osc = PARTS[name]
    assert (b.name, b.part, b.nextpnr_args, b.clock_mhz) == (name, part, args, osc)
    assert tuple(b.resources) == ECP5_RESOURCE_KEYS
    assert b.to_dict()["nextpnr"]["device"] == args[0][2:]


@pytest.mark.parametrize("name", sorted(PARTS))
def test_lpf_places_the_clock_and_leaves_the_frequency_to_the_flow(name):
    b = load_ecp5_board(name)
    text = b.lpf_text()
    assert pins(text)[b.clock_port] == b.clock_pin
    assert "FREQUENCY" not in text.split("#", 1)[0] and not re.search(
        r"^\s*FREQUENCY", text, re.MULTILINE
    )
    led = {k: v for k, v in pins(text).items() if k.startswith("led[")}
    assert len(led) >= 3 and len(set(led.values())) == len(led)
    assert len(set(pins(text).values())) == len(pins(text)), "two ports on one ball"
    full = board_lpf(b, 37.5)
    assert full.startswith(text.rstrip("\n")) and full.endswith(
        f'FREQUENCY PORT "{b.clock_port}" 37.5 MHZ;\n'
    )


def test_project_board_loader_points_ecp5_boards_to_pnr():
    with pytest.raises(BackendError) as e:
        load_board("ulx3s-85f")
    assert str(e.value) == (
        "board 'ulx3s-85f' is a Lattice ECP5 board, for `fpgasnn pnr --board`; a "
        "project is built for one of: " + ", ".join(list_boards()) + " (for ECP5: "
        "`fpgasnn build --registered-write`, then `fpgasnn pnr PRJ --board ulx3s-85f`)"
    )
    with pytest.raises(BackendError) as e:
        load_ecp5_board("pynq-z2")
    assert str(e.value) == "unknown ECP5 board 'pynq-z2'; ECP5 boards: " + ", ".join(
        list_ecp5_boards()
    )


GOOD = {
    "part": "LFE5U-25F-8MG285C",
    "nextpnr": {"device": "25k", "package": "CSFBGA285", "speed": 8},
    "clock_port": "clk",
    "clock_pin": "A9",
    "clock_mhz": 48,
    "lpf": "orangecrab-25f.lpf",
    "resources": {"LUT4": 1, "FF": 1, "EBR": 1, "MULT18": 1},
}


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"nextpnr": {"device": "100k", "package": "X", "speed": 8}},
            (
                "nextpnr.device must be one of ['25k', '45k', '85k', 'um-25k', 'um-45k', 'um-85k', "
                "'um5g-25k', 'um5g-45k', 'um5g-85k'], got '100k'"
            ),
        ),
        (
            {"nextpnr": {"device": "25k", "package": "X", "speed": 5}},
            "nextpnr.speed must be 6, 7 or 8, got 5",
        ),
        ({"lpf": "../pynq-z2.json"}, "lpf must name a .lpf file beside it, got '../pynq-z2.json'"),
        ({"lpf": "nope.lpf"}, "lpf must name a .lpf file beside it, got 'nope.lpf'"),
        ({"clock_mhz": 0}, "clock_mhz must be a positive number, got 0"),
        (
            {"resources": {"LUT4": 1, "FF": 1, "EBR": 1}},
            (
                "resources must map ['LUT4', 'FF', 'EBR', 'MULT18'] to positive ints, "
                "got {'LUT4': 1, 'FF': 1, 'EBR': 1}"
            ),
        ),
    ],
)
def test_bad_ecp5_board_files_are_named(change, message):
    assert _parse_ecp5("x", GOOD).part == GOOD["part"]
    with pytest.raises(BackendError) as e:
        _parse_ecp5("x", {**GOOD, **change})
    assert str(e.value) == f"board file x.json: {message}"


def test_missing_keys_are_listed():
    doc = {k: v for k, v in GOOD.items() if k not in ("clock_pin", "lpf")}
    with pytest.raises(BackendError) as e:
        _parse_ecp5("x", doc)
    assert str(e.value) == "board file x.json: missing keys ['clock_pin', 'lpf']"


BLINK = """\
module board_top(input wire clk, input wire btn, output wire [{n}:0] led{uart});
    reg [25:0] c = 0;
    always @(posedge clk) c <= btn ? 26'd0 : c + 1'b1;
    assign led = c[25 -: {w}];{uart_assign}
endmodule
"""


@pytest.mark.tool
@pytest.mark.parametrize("name", sorted(PARTS))
def test_every_pin_exists_on_the_package_and_resources_are_the_parts(name, tmp_path):
    """A counter whose every port is in the board's LPF, placed WITHOUT --lpf-allow-unconstrained:
    nextpnr rejects a ball the package does not have; its report gives the part's capacity."""
    need("yosys", "nextpnr")
    b = load_ecp5_board(name)
    ports = pins(b.lpf_text())
    nled = sum(k.startswith("led[") for k in ports)
    uart = "uart_tx" in ports
    (tmp_path / "board_top.v").write_text(
        BLINK.format(
            n=nled - 1,
            w=nled,
            uart=", output wire uart_tx" if uart else "",
            uart_assign="\n    assign uart_tx = c[0];" if uart else "",
        )
    )
    (tmp_path / "board.lpf").write_text(board_lpf(b, b.clock_mhz))
    toolchain.run_tool(
        [toolchain.yosys(), "-q", "-p", "synth_ecp5 -top board_top -json t.json", "board_top.v"],
        cwd=tmp_path,
    )
    log = toolchain.run_tool(
        [
            toolchain.nextpnr_ecp5(),
            *b.nextpnr_args,
            "--json",
            "t.json",
            "--lpf",
            "board.lpf",
            "--report",
            "r.json",
            "--seed",
            "1",
        ],
        cwd=tmp_path,
    )
    assert "unconstrained" not in log
    util = utilization(json.loads((tmp_path / "r.json").read_text()))
    assert {k: util[k]["available"] for k in ECP5_RESOURCE_KEYS} == dict(b.resources)
    assert util["IO"]["used"] == len(ports)
