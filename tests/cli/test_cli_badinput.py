"""The CLI's answer to every bad argument of bench/badinput.py, in-process: exit status 2, exactly
the expected one line on stderr, the workspace unchanged and no scratch folder left behind; and the
atomic outputs of build --force, report and simulate --out."""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from fpgasnn.cli import main

_SPEC = importlib.util.spec_from_file_location(
    "bench_badinput", Path(__file__).resolve().parents[2] / "bench" / "badinput.py"
)
badinput = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = badinput  # dataclasses look their module up there
_SPEC.loader.exec_module(badinput)

# cases that load TensorFlow (seconds) are left to the bench's separate processes
IN_PROCESS = [c for c in badinput.CASES if c.case not in {"convert_not_a_model"}]


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("badinput") / "ws"
    badinput.make_workspace(root)
    os.chmod(root / "ro", 0o555)
    yield root
    os.chmod(root / "ro", 0o755)


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A private temp folder for the command, to see that it leaves nothing there."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


EXPENSIVE = [
    ("fpgasnn.flow", "run_flow"),
    ("fpgasnn.backends.hls.csim", "run_csim"),
    ("fpgasnn.backends.rtl.sim", "RtlSim"),
    ("fpgasnn.backends.rtl.synth", "synth"),
    ("fpgasnn.report.sources", "synthesize"),
    ("fpgasnn.report.write", "write_report"),
]


@pytest.fixture
def no_expensive_step(monkeypatch):
    """A mistake must be found before any of these runs (were one reached, the test fails at once
    instead of training, compiling or simulating for minutes)."""
    for module, name in EXPENSIVE:

        def reached(*a, _what=f"{module}.{name}", **k):
            raise AssertionError(f"the command reached {_what} before finding the mistake")

        monkeypatch.setattr(importlib.import_module(module), name, reached)


@pytest.mark.parametrize("case", IN_PROCESS, ids=[c.case for c in IN_PROCESS])
def test_bad_input_gives_one_clear_line_and_touches_nothing(
    case, ws, scratch, no_expensive_step, monkeypatch, capsys
):
    if not case.root_ok and os.geteuid() == 0:
        pytest.skip("root may write into a read-only folder; bench/badinput.py runs it as nobody")
    monkeypatch.chdir(ws)
    before = badinput.snapshot(ws)
    code = main(list(case.argv))
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2
    assert lines == [case.first_line.replace("{ws}", str(ws))]
    assert badinput.snapshot(ws) == before
    assert list(scratch.iterdir()) == []


def test_the_table_is_the_bench_acceptance_size():
    assert len(badinput.CASES) >= 60
    assert len({c.case for c in badinput.CASES}) == len(badinput.CASES)


def _build(tmp: Path, out: str, *extra: str) -> int:
    return main(["build", str(tmp / "t.snn"), "-o", str(tmp / out), "--lanes", "2", *extra])


@pytest.fixture
def built(tmp_path, capsys):
    from fpgasnn.ir import examples, save

    save(examples.tiny(), tmp_path / "t.snn")
    assert _build(tmp_path, "prj") == 0
    capsys.readouterr()
    return tmp_path


def test_build_force_replaces_the_old_project_whole(built, capsys):
    prj = built / "prj"
    (prj / "rtl" / "conv2_old_network.v").write_text("// a layer of the previous network\n")
    (prj / "report").mkdir()
    (prj / "report" / "report.html").write_text("<p>old</p>\n")
    assert _build(built, "prj", "--force") == 0
    assert _build(built, "fresh") == 0
    assert badinput.snapshot(prj) == badinput.snapshot(built / "fresh")
    assert sorted(p.name for p in built.iterdir()) == ["fresh", "prj", "t.snn"]


def test_build_force_that_fails_half_way_keeps_the_old_project(built, monkeypatch, capsys):
    from fpgasnn.backends import plan

    prj = built / "prj"
    before = badinput.snapshot(prj)
    written = []
    real = plan._encoded

    def disk_full(content):
        written.append(1)
        if len(written) == 5:
            raise OSError(28, "No space left on device")
        return real(content)

    monkeypatch.setattr(plan, "_encoded", disk_full)
    assert _build(built, "prj", "--force") == 2
    assert capsys.readouterr().err == "fpgasnn build: error: No space left on device\n"
    assert badinput.snapshot(prj) == before
    assert sorted(p.name for p in built.iterdir()) == ["prj", "t.snn"]


def test_interrupted_report_leaves_the_old_pair(built, monkeypatch, capsys):
    from fpgasnn.report import write

    out = built / "prj" / "report"
    out.mkdir()
    (out / "report.json").write_text("{}\n")
    (out / "report.html").write_text("<p>old</p>\n")
    before = badinput.snapshot(out)

    def interrupted(project, opts, stage):
        (Path(stage) / "report.json").write_text('{"new": 1}\n')
        raise KeyboardInterrupt

    monkeypatch.setattr(write, "write_report", interrupted)
    assert main(["report", str(built / "prj"), "--no-synth"]) == 130
    assert capsys.readouterr().err == "fpgasnn report: interrupted\n"
    assert badinput.snapshot(out) == before


def test_simulate_out_is_written_whole(built, capsys):
    x = np.random.default_rng(1).integers(0, 16, size=(4, 1, 8, 8))
    np.save(built / "x.npy", x)
    out = built / "r.npz"
    out.write_bytes(b"old")
    assert main(["simulate", str(built / "t.snn"), str(built / "x.npy"), "--out", str(out)]) == 0
    with np.load(out) as d:
        assert d["scores"].shape == (4, 10) and d["classes"].shape == (4,)
    assert sorted(p.name for p in built.iterdir()) == ["prj", "r.npz", "t.snn", "x.npy"]


def test_a_bug_shows_its_traceback_and_asks_for_a_report(built, monkeypatch, capsys):
    from fpgasnn.cli import inspect_cmd

    monkeypatch.setattr(inspect_cmd, "describe", lambda net: 1 // 0)
    assert main(["inspect", str(built / "t.snn")]) == 3
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "Traceback (most recent call last):"
    assert err[-2] == "ZeroDivisionError: integer division or modulo by zero"
    assert err[-1] == (
        "fpgasnn inspect: internal error (a bug in fpgasnn, not in your input); "
        "please report it with the command line and the traceback above"
    )


@pytest.mark.tool
def test_verilator_runner_environment_is_per_call(require, monkeypatch):
    from fpgasnn import toolchain
    from fpgasnn.backends.rtl.sim import verilator_runner

    require("verilator")
    monkeypatch.setenv("VERILATOR_ROOT", "/nowhere")
    before = dict(os.environ)
    runner = verilator_runner()
    runner._set_env_build()
    runner._simulator_in_path_build_only()
    assert runner.env["PATH"].split(os.pathsep)[0] == str(toolchain.verilator_bin_dir())
    assert "VERILATOR_ROOT" not in runner.env
    assert runner.executable == str(toolchain.verilator_bin_dir() / "verilator")
    assert dict(os.environ) == before


READ_ONLY = [c for c in badinput.CASES if not c.root_ok]


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv"),
    reason="the read-only cases run in-process above when not root",
)
def test_read_only_folders_as_nobody():
    """As root, the read-only-folder cases run as the user nobody, as bench/badinput.py does."""
    top = Path(tempfile.mkdtemp(prefix="fpgasnn_readonly_test_"))
    try:
        ws, tmp = top / "ws", top / "tmp"
        badinput.make_workspace(ws)
        tmp.mkdir()
        (top / "home").mkdir()
        subprocess.run(["chown", "-R", "65534:65534", str(top)], check=True)
        os.chmod(top, 0o755)
        os.chmod(ws / "ro", 0o555)
        prefix = badinput._drop_privileges()
        recs = [badinput.run_case(c, ws, tmp, prefix) for c in READ_ONLY]
    finally:
        shutil.rmtree(top)
    assert len(recs) == 4
    assert [(r["case"], r["exit_code"], r["clear_error"], r["files_intact"]) for r in recs] == [
        (c.case, 2, True, True) for c in READ_ONLY
    ]
