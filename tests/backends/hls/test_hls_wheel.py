"""The wheel ships the hand-written kernels, the Jinja2 templates and the board files."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from fpgasnn.boards import list_boards

ROOT = Path(__file__).resolve().parents[3]


def test_wheel_contains_templates_and_boards(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheel = next(tmp_path.glob("fpgasnn-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for f in (
        "fpgasnn_defines.h",
        "fpgasnn_layers.h",
        "top.cpp.j2",
        "top.h.j2",
        "parameters.h.j2",
        "weights.h.j2",
        "tb.cpp.j2",
        "build_hls.tcl.j2",
        "build_vivado.tcl.j2",
    ):
        assert f"fpgasnn/hls_templates/{f}" in names
    for b in list_boards():
        assert f"fpgasnn/boards/{b}.json" in names
    assert "fpgasnn/boards/__init__.py" in names
    assert "fpgasnn/backends/hls/csim.py" in names
