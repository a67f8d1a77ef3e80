"""A plain (non-editable) install carries every subpackage and the data outside the package folder
(hls_templates/, boards/, the Verilog library): build a wheel, install it into an empty folder, import
from there in a process that cannot see the source tree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(tmp / "dist"),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next((tmp / "dist").glob("fpgasnn-*.whl"))
    site = tmp / "site"
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
    return site


def _run(site: Path, code: str, cwd: Path) -> str:
    r = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_wheel_has_every_subpackage(installed, tmp_path):
    source = sorted(
        str(p.parent.relative_to(ROOT / "fpgasnn")).replace("/", ".")
        for p in (ROOT / "fpgasnn").rglob("__init__.py")
    )
    got = sorted(
        str(p.parent.relative_to(installed / "fpgasnn")).replace("/", ".")
        for p in (installed / "fpgasnn").rglob("__init__.py")
    )
    missing = sorted(set(source) - set(got))
    assert not missing, (
        f"subpackages missing from the wheel (add them to pyproject.toml): {missing}"
    )


def test_installed_data_files(installed, tmp_path):
    code = (
        "import importlib.resources as r, fpgasnn;"
        f"assert fpgasnn.__file__.startswith({str(installed)!r}), fpgasnn.__file__;"
        "t = sorted(p.name for p in r.files('fpgasnn.hls_templates').iterdir());"
        "b = sorted(p.name for p in r.files('fpgasnn.boards').iterdir());"
        "print(' '.join(t)); print(' '.join(b))"
    )
    out = _run(installed, code, tmp_path).splitlines()
    templates = set(out[0].split())
    boards = set(out[1].split())
    src_templates = {
        p.name for p in (ROOT / "hls_templates").iterdir() if p.is_file() and p.suffix != ".py"
    }
    src_boards = {p.name for p in (ROOT / "boards").iterdir() if p.suffix == ".json"}
    assert src_templates and src_templates <= templates
    assert {"pynq-z2.json", "zcu104.json", "alveo-u250.json"} <= boards and src_boards <= boards
    verilog = ROOT / "fpgasnn" / "backends" / "rtl" / "verilog"
    if verilog.is_dir():
        src_v = {
            p.relative_to(ROOT / "fpgasnn").as_posix() for p in verilog.rglob("*") if p.is_file()
        }
        got_v = {
            p.relative_to(installed / "fpgasnn").as_posix()
            for p in (installed / "fpgasnn" / "backends" / "rtl" / "verilog").rglob("*")
            if p.is_file()
        }
        assert src_v <= got_v, sorted(src_v - got_v)
