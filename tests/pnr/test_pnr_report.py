"""The report's post-route section: read from PROJECT/pnr/BOARD/pnr.json, latency at the achieved
fmax, stale results (placed from an older rtl/) flagged and given no latency."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from test_pnr_timing import result

from fpgasnn.cli import main
from fpgasnn.ir.examples import tiny
from fpgasnn.ir.serialize import save
from fpgasnn.pnr.flow import RESULT_FILE, plan_digest
from fpgasnn.pnr.project import rtl_folder_plan
from fpgasnn.report.collect import ReportOptions
from fpgasnn.report.postroute import post_route_section
from fpgasnn.report.render import terminal_table
from fpgasnn.report.write import write_report


@pytest.fixture
def project(tmp_path) -> Path:
    save(tiny(), tmp_path / "tiny.snn")
    assert (
        main(
            [
                "build",
                str(tmp_path / "tiny.snn"),
                "--board",
                "pynq-z2",
                "--lanes",
                "4",
                "-o",
                str(tmp_path / "prj"),
            ]
        )
        == 0
    )
    return tmp_path / "prj"


def place(project: Path, fmax: float, clock: float = 100.0) -> None:
    """A pnr.json as `fpgasnn pnr` writes it, for the project's present rtl/."""
    res = result(fmax, clock)
    res = replace(
        res,
        digest=plan_digest(
            rtl_folder_plan(project / "rtl"), res.board, res.clock_mhz, res.seed, res.top
        ),
    )
    folder = project / "pnr" / res.board
    folder.mkdir(parents=True)
    (folder / RESULT_FILE).write_text(json.dumps(res.to_dict()))


def test_no_pnr_no_section(project):
    assert post_route_section(project, {"latency": {"cycles_mean": 10.0}}) is None


def test_latency_uses_the_achieved_fmax_and_says_so(project):
    place(project, fmax=64.98)
    sec = post_route_section(project, {"latency": {"cycles_mean": 1299.6, "IntervalMin": 1000}})
    (run,) = sec["runs"]
    assert run["current"] and not run["met"]
    assert run["latency_us_mean"] == pytest.approx(1299.6 / 64.98)
    assert run["images_per_s"] == pytest.approx(64.98e6 / 1000)
    assert (run["LUT4"], run["EBR"], run["pct"]["EBR"]) == (2563, 3, pytest.approx(300 / 208))
    assert "ACHIEVED post-route fmax" in sec["how"]
    text = terminal_table({"post_route": sec})
    assert (
        "post-route: ulx3s-85f: post-route fmax 65.0 MHz MISSES 100 MHz on LFE5U-85F-6BG381C; "
        "critical path u_conv1.wcnt -> u_conv1.q_count"
    ) in text
    assert "; latency 20.00 us mean at the achieved 65.0 MHz; LUT4 2,563 (3.1 %)" in text


def test_a_result_from_an_older_rtl_is_stale(project):
    place(project, fmax=150.0)
    v = project / "rtl" / "snn_top.v"
    v.write_text(v.read_text().replace("module snn_top", "module snn_top /* edited */"))
    (run,) = post_route_section(project, {"latency": {"cycles_mean": 1000.0}})["runs"]
    assert not run["current"] and "latency_us_mean" not in run
    assert terminal_table({"post_route": {"runs": [run]}}).endswith(
        "post-route: ulx3s-85f (LFE5U-85F-6BG381C): STALE (rtl/ changed since this run; rerun "
        "`fpgasnn pnr --board ulx3s-85f`)"
    )


def test_write_report_carries_the_section_with_the_cycle_models_latency(project, tmp_path):
    place(project, fmax=80.0)
    rep, files, table = write_report(
        project, ReportOptions(synth=False, cycle_images=8), tmp_path / "rep"
    )
    run = rep["post_route"]["runs"][0]
    assert run["latency_us_mean"] == pytest.approx(rep["latency"]["cycles_mean"] / 80.0)
    assert json.loads(files[0].read_text())["post_route"]["runs"][0]["fmax_mhz"] == 80.0
    assert "post_route" in files[1].read_text() and "post-route: ulx3s-85f" in table
