"""A plain install ships the ECP5 board files, their .lpf pin files and the self-test Verilog, and
the loaders read them from the installed package (a process that cannot see the source tree)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_installed_package_has_the_ecp5_boards_and_pin_files(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next((tmp_path / "dist").glob("fpgasnn-*.whl"))
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    code = (
        "import json, fpgasnn, fpgasnn.pnr.flow\n"
        "from fpgasnn.boards import list_ecp5_boards, load_ecp5_board\n"
        f"assert fpgasnn.__file__.startswith({str(site)!r}), fpgasnn.__file__\n"
        "from importlib import resources\n"
        "lpf = {n: load_ecp5_board(n).lpf_text() for n in list_ecp5_boards()}\n"
        "v = resources.files('fpgasnn.pnr').joinpath('verilog', 'snn_selftest.v').read_text()\n"
        "print(json.dumps({'lpf': lpf, 'selftest': v}))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin"},
        check=False,
    )
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    src = {p.stem: p.read_text() for p in (ROOT / "boards").glob("*.lpf")}
    assert sorted(src) == ["ecp5-evn", "orangecrab-25f", "ulx3s-85f"]
    assert got["lpf"] == src
    assert got["selftest"] == (ROOT / "fpgasnn" / "pnr" / "verilog" / "snn_selftest.v").read_text()
