"""`fpgasnn pnr` on a built project: Yosys synth_ecp5 -> nextpnr-ecp5 -> ecppack for real (tiny
network, fast tier), the result folder, the exit status of a missed clock, and (slow) determinism
for a seed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from conftest import need
from fpgasnn.backends.rtl.emit import rtl_plan
from fpgasnn.boards import load_ecp5_board
from fpgasnn.cli import main
from fpgasnn.ir.examples import tiny
from fpgasnn.ir.serialize import save
from fpgasnn.pnr.flow import place_and_route, read_result
from fpgasnn.pnr.project import project_results


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("pnr")
    save(tiny(), tmp / "tiny.snn")
    assert (
        main(
            [
                "build",
                str(tmp / "tiny.snn"),
                "--board",
                "pynq-z2",
                "--lanes",
                "4",
                "-o",
                str(tmp / "prj"),
            ]
        )
        == 0
    )
    return tmp / "prj"


@pytest.mark.tool
def test_pnr_command_places_routes_and_packs_a_tiny_core(project, capsys):
    need("yosys", "nextpnr", "ecppack")
    board = load_ecp5_board("ulx3s-85f")
    rc = main(["pnr", str(project), "--board", board.name, "--seed", "3", "--clock-mhz", "20"])
    out = capsys.readouterr().out
    folder = project / "pnr" / board.name
    res = read_result(folder)
    assert rc == (0 if res.met else 1)
    assert (res.board, res.part, res.seed, res.clock_mhz, res.top) == (
        board.name,
        board.part,
        3,
        20.0,
        "snn_top",
    )
    # the tiny core reaches 20 MHz on any ECP5 (measured 65-90 MHz): a slower result is a regression
    assert res.met and res.fmax_mhz > 20.0
    report = json.loads((folder / "nextpnr_report.json").read_text())
    assert res.fmax_mhz == round(min(c["achieved"] for c in report["fmax"].values()), 2)
    util = res.utilization
    assert {k: util[k]["available"] for k in ("LUT4", "FF", "EBR", "MULT18")} == dict(
        board.resources
    )
    assert 0 < util["FF"]["used"] < util["LUT4"]["used"] < board.resources["LUT4"]
    bit = (folder / res.bitstream).read_bytes()
    assert (
        len(bit) == res.bitstream_bytes and hashlib.sha256(bit).hexdigest() == res.bitstream_sha256
    )
    cp = res.critical_path
    assert cp is not None and cp.start and cp.end and cp.logic_levels >= 1
    assert cp.delay_ns == pytest.approx(1000.0 / res.fmax_mhz, rel=0.05)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["board.lpf", "nextpnr.log", "nextpnr_report.json", "pnr.json", "snn_top.bit", "yosys.log"]
    )
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")], (
        "temporary folders left"
    )
    assert 'FREQUENCY PORT "clk" 20 MHZ;' in (folder / "board.lpf").read_text()
    assert f"pnr {board.name} ({board.part}), seed 3: LUT4 {util['LUT4']['used']:,}/83,640" in out
    assert f"post-route fmax {res.fmax_mhz:.1f} MHz meets 20 MHz on {board.part}" in out
    assert "  core: the Xilinx build; `fpgasnn build --registered-write` builds" in out
    assert project_results(project) == [(res, True)]
    (project / "rtl" / "snn_top.v").write_text((project / "rtl" / "snn_top.v").read_text() + "\n")
    assert project_results(project) == [(res, False)], "an edited core makes the result stale"


def test_a_missed_clock_exits_1_and_names_the_path(project, monkeypatch, capsys):
    from test_pnr_timing import result

    import fpgasnn.pnr.project as proj

    monkeypatch.setattr(proj, "pnr_project", lambda *a, **k: result(64.98, 100.0))
    assert main(["pnr", str(project)]) == 1
    out = capsys.readouterr().out
    assert (
        "post-route fmax 65.0 MHz MISSES 100 MHz on LFE5U-85F-6BG381C; critical path "
        "u_conv1.wcnt -> u_conv1.q_count" in out
    )
    text = (project / "project.json").read_text()
    (project / "project.json").write_text(json.dumps({**json.loads(text), "write_register": True}))
    try:
        assert main(["pnr", str(project)]) == 1
        assert "  core: the ECP5 build (registered write)\n" in capsys.readouterr().out
    finally:
        (project / "project.json").write_text(text)


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["--board", "pynq-z2"],
            ("--board 'pynq-z2': not an ECP5 board; one of: ecp5-evn, orangecrab-25f, ulx3s-85f"),
        ),
        (["--images", "x.npy"], "--images: the images are for --selftest N"),
        (
            ["--selftest", "2", "--clock-mhz", "50"],
            "--clock-mhz: a self-test runs at the board's oscillator clock",
        ),
    ],
)
def test_pnr_usage_errors(project, argv, message, capsys):
    assert main(["pnr", str(project), *argv]) == 2
    assert capsys.readouterr().err.strip() == f"fpgasnn pnr: error: {message}"


def test_a_selftest_of_more_images_than_the_rom_holds_is_refused(project, capsys):
    assert main(["pnr", str(project), "--selftest", "300"]) == 2
    assert capsys.readouterr().err.strip() == (
        "fpgasnn pnr: error: argument --selftest: expected 1 <= N <= 255, got 300 "
        "(see `fpgasnn pnr --help`)"
    )


def test_pnr_of_a_folder_that_is_no_project(tmp_path, capsys):
    assert main(["pnr", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"fpgasnn pnr: error: project {str(tmp_path)!r}: not an fpgasnn project folder "
        "(no project.json); build one with `fpgasnn build`"
    )


@pytest.mark.tool
@pytest.mark.slow
def test_same_seed_same_bitstream_and_the_output_is_replaced_whole(tmp_path):
    need("yosys", "nextpnr", "ecppack")
    board = load_ecp5_board("ulx3s-85f")
    plan = rtl_plan(tiny(seed=1), 4)
    a = place_and_route(plan, board, tmp_path / "a", clock_mhz=50, seed=7)
    b = place_and_route(plan, board, tmp_path / "b", clock_mhz=50, seed=7)
    assert a.bitstream_sha256 == b.bitstream_sha256 and a.fmax_mhz == b.fmax_mhz
    assert (tmp_path / "a" / "snn_top.bit").read_bytes() == (
        tmp_path / "b" / "snn_top.bit"
    ).read_bytes()
    (tmp_path / "b" / "stale.txt").write_text("from an earlier run")
    c = place_and_route(plan, board, tmp_path / "b", clock_mhz=50, seed=8)
    assert not (tmp_path / "b" / "stale.txt").exists() and read_result(tmp_path / "b") == c
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]
