"""The command line: --help everywhere, inspect and simulate on real files, errors go to stderr."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from fpgasnn.cli import build_parser, main
from fpgasnn.golden import simulate
from fpgasnn.ir import examples, save


def subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


@pytest.mark.parametrize("cmd", subcommands())
def test_every_subcommand_has_help(cmd, capsys):
    assert main([cmd, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: fpgasnn {cmd}")


def test_inspect(tmp_path, capsys):
    path = save(examples.reference_mnist(), tmp_path / "ref.snn")
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "conv2    conv2d     32x14x14" in out
    assert "if theta=" in out and "v:" in out
    assert "schedule: presim=0 wake(T)=4 sleep=0 -> 4 steps; 105866 parameters" in out


def test_simulate_matches_api(tmp_path, capsys):
    net = examples.tiny()
    path = save(net, tmp_path / "t.snn")
    x = np.random.default_rng(3).integers(0, 16, size=(5, 1, 8, 8))
    np.save(tmp_path / "x.npy", x)
    y = simulate(net, x).classes
    np.save(tmp_path / "y.npy", y)
    assert (
        main(
            [
                "simulate",
                str(path),
                str(tmp_path / "x.npy"),
                "--labels",
                str(tmp_path / "y.npy"),
                "--scores",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert [int(line.split("class=")[1].split()[0]) for line in out[:5]] == y.tolist()
    assert out[-1] == "top-1: 100.00% on 5 images (golden model)"


def test_simulate_bad_input_shape(tmp_path, capsys):
    path = save(examples.tiny(), tmp_path / "t.snn")
    np.save(tmp_path / "x.npy", np.zeros((2, 28, 28), dtype=np.uint8))
    assert main(["simulate", str(path), str(tmp_path / "x.npy")]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        f"fpgasnn simulate: error: inputs {str(tmp_path / 'x.npy')!r}: input layer "
        "'input' expects images of shape (N, 1, 8, 8), got (2, 28, 28)"
    )


def test_simulate_out_of_range_pixels(tmp_path, capsys):
    path = save(examples.tiny(), tmp_path / "t.snn")
    np.save(tmp_path / "x.npy", np.full((1, 1, 8, 8), 16))
    assert main(["simulate", str(path), str(tmp_path / "x.npy")]) == 2
    assert "pixels must lie in [0, 15], got [16, 16]" in capsys.readouterr().err


def test_inspect_corrupt_file(tmp_path, capsys):
    p = tmp_path / "bad.snn"
    p.write_bytes(b"\x00" * 10)
    assert main(["inspect", str(p)]) == 2
    assert "not an fpgasnn .snn file" in capsys.readouterr().err


def test_python_dash_m_and_no_tensorflow_import():
    code = (
        "import sys; from fpgasnn.cli import build_parser; build_parser(); import fpgasnn.golden; "
        "print('tensorflow' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
    r = subprocess.run(
        [sys.executable, "-m", "fpgasnn", "--help"], capture_output=True, text=True, check=False
    )
    assert r.returncode == 0 and "usage: fpgasnn" in r.stdout
