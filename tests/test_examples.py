"""The scripts in examples/ run as a user would run them and do what they say."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import need

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.tool
@pytest.mark.keras
def test_qkeras_digits_example(tmp_path):
    need("g++", "ap_types")
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "qkeras_digits.py"),
            "--epochs",
            "15",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    ann = float(re.search(r"QKeras model: ([\d.]+) %", r.stdout).group(1))
    snn = float(re.search(r"integer SNN .*: ([\d.]+) % top-1", r.stdout).group(1))
    assert ann > 75.0 and snn > ann - 5.0, r.stdout
    assert "360 images, 0 mismatches" in r.stdout
    assert (tmp_path / "pynq-z2" / "project.json").is_file()
