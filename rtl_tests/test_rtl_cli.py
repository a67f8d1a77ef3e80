"""``fpgasnn rtlsim`` and ``fpgasnn synth`` on a built project."""

from __future__ import annotations

import json

import pytest

from conftest import need
from fpgasnn.cli import main
from fpgasnn.ir.examples import tiny
from fpgasnn.ir.serialize import dumps

pytestmark = [pytest.mark.tool, pytest.mark.slow]


@pytest.fixture
def project(tmp_path):
    snn = tmp_path / "tiny.snn"
    snn.write_bytes(dumps(tiny()))
    prj = tmp_path / "prj"
    assert main(["build", str(snn), "-o", str(prj), "--lanes", "4"]) == 0
    assert (prj / "rtl" / "snn_top.v").is_file()
    return prj


def test_rtlsim_cli(project, tmp_path, capsys):
    need("verilator")
    assert (
        main(["rtlsim", str(project), "-n", "3", "--lanes", "4", "--workdir", str(tmp_path / "w")])
        == 0
    )
    out = capsys.readouterr().out
    assert "3 images back to back, lanes {'conv1': 4, 'fc': 4}" in out and "0 mismatches" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("latency/image"))
    measured = line.split("measured ")[1].split(",")[0].removesuffix(" cycles")
    model = line.split("model ")[1].split(",")[0]
    assert measured == model


def test_synth_cli(project, tmp_path, capsys):
    need("yosys")
    assert main(["synth", str(project)]) == 0  # the project's lanes (4) and board, cached
    out = capsys.readouterr().out
    taps = json.loads((project / "project.json").read_text())["taps"]["conv1"]
    # the first layer's multipliers: one per lane and parallel tap
    assert (
        "LUT" in out
        and f"DSP {4 * taps}" in out
        and (project / "report" / "yosys_stat.json").is_file()
    )
    assert (
        main(
            [
                "synth",
                str(project / "network.snn"),
                "--lanes",
                "4",
                "--workdir",
                str(tmp_path / "s"),
            ]
        )
        == 0
    )
    counts = [o.split("LUT")[1].split("[")[0] for o in (out, capsys.readouterr().out)]
    assert counts[0] == counts[1]  # same core from the project and from its .snn at the same lanes


def test_rtlsim_of_a_registered_write_project_takes_it_from_the_project(tmp_path, capsys):
    need("verilator")
    snn = tmp_path / "tiny.snn"
    snn.write_bytes(dumps(tiny()))
    prj = tmp_path / "wreg"
    assert main(["build", str(snn), "-o", str(prj), "--lanes", "4", "--registered-write"]) == 0
    assert main(["rtlsim", str(prj), "-n", "3", "--workdir", str(tmp_path / "w")]) == 0
    out = capsys.readouterr().out
    assert "0 mismatches" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("latency/image"))
    measured = line.split("measured ")[1].split(",")[0].removesuffix(" cycles")
    assert measured == line.split("model ")[1].split(",")[0]
    assert "WREG(1)" in (tmp_path / "w" / "rtl" / "snn_top.v").read_text()
