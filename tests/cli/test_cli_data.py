"""The user's images (``--data FILE.npz``) as csim / rtlsim inputs and for the demo: the same npz rules
as convert / evaluate, one clear line for a wrong file, and the pixels the .snn's encoding asks for."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from fpgasnn import flow
from fpgasnn.cli import main
from fpgasnn.ir import examples, save


@pytest.fixture
def prj(tmp_path, capsys):
    """A built project of the tiny network: input (1, 8, 8), 4-bit unsigned pixels."""
    save(examples.tiny(), tmp_path / "t.snn")
    assert main(["build", str(tmp_path / "t.snn"), "-o", str(tmp_path / "prj")]) == 0
    capsys.readouterr()
    return tmp_path / "prj"


@pytest.fixture
def no_sim(monkeypatch):
    """csim / rtlsim stand-ins: record the images they are given, compile nothing."""
    seen = {}

    def run_csim(project, images, **kw):
        seen["images"] = images
        classes = np.arange(len(images)) % 10
        return SimpleNamespace(
            images=len(images),
            traced=True,
            strict=False,
            compile_s=0.0,
            run_s=0.001,
            images_per_s=1000.0,
            warnings=[],
            classes=classes,
            ok=True,
            mismatches=0,
            first_mismatch=None,
        )

    from fpgasnn.backends.hls import csim

    monkeypatch.setattr(csim, "run_csim", run_csim)
    return seen


def _npz(path, **arrays):
    np.savez(path, **arrays)
    return str(path)


def test_csim_data_float_nhwc_becomes_the_pixels(prj, tmp_path, no_sim, capsys):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 16, size=(12, 1, 8, 8)).astype(np.uint8)
    labels = np.arange(12) % 10
    f = _npz(
        tmp_path / "f.npz",
        x_train=pixels[:2].transpose(0, 2, 3, 1) / 255.0,
        y_train=labels[:2],
        x_test=pixels.transpose(0, 2, 3, 1) / 255.0,  # NHWC floats of uint8 / 255
        y_test=labels,
    )
    assert main(["csim", str(prj), "--data", f, "-n", "10"]) == 0
    np.testing.assert_array_equal(no_sim["images"], pixels[:10])
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"inputs: the first 10 images of {f} 'x_test'"
    assert "top-1 on the file's labels: 100.00 % (10 images)" in out  # the stand-in's classes
    # raw 0..255-scale floats, one set x, NCHW, no labels: --input-scale 1
    g = _npz(tmp_path / "g.npz", x=pixels.astype(np.float32))
    assert main(["csim", str(prj), "--data", g, "--input-scale", "1"]) == 0
    np.testing.assert_array_equal(no_sim["images"], pixels)
    assert not any("top-1" in line for line in capsys.readouterr().out.splitlines())


def test_data_follows_the_input_quantizer_the_snn_records(tmp_path):
    """A .snn converted from a model with an input quantizer records it; --data is encoded by it."""
    from fpgasnn.cli.args import load_data_images

    enc = {"input_scale": 1 / 255, "quantizer": "quantized_relu(4,0)", "step": 1 / 16}
    net = examples.tiny().with_meta(input_encoding={**enc, "lo": 0, "hi": 15})
    x = np.linspace(0, 255, 64).reshape(1, 8, 8, 1).astype(np.uint8)
    f = _npz(tmp_path / "q.npz", x=x, y=np.array([3]))
    got, y, what = load_data_images(f, net)
    v = x.transpose(0, 3, 1, 2).astype(np.float32) * np.float32(1 / 255)
    np.testing.assert_array_equal(got, np.clip(np.rint(v.astype(np.float64) * 16), 0, 15))
    assert y.tolist() == [3] and what == f"images of {f} 'x'"


@pytest.mark.parametrize(
    "case, arrays, extra, message",
    [
        (
            "shape",
            {"x": np.zeros((3, 28, 28, 1), np.uint8), "y": np.zeros(3)},
            [],
            "--data {f} ('x'): images of shape (3, 28, 28, 1) do not fit the model input; "
            "expected (N, 8, 8, 1) NHWC or (N, 1, 8, 8) NCHW",
        ),
        (
            "keys",
            {"images": np.zeros((3, 8, 8), np.uint8)},
            [],
            "--data '{f}': expected arrays 'x' (and 'y'), or 'x_train'/'y_train' and "
            "'x_test'/'y_test'; found ['images']",
        ),
        (
            "range",
            {"x": np.full((3, 8, 8), 200, np.uint8)},
            [],
            "--data '{f}': input layer 'input': pixels must lie in [0, 15], got [200, 200] "
            "(pixels encoded as the network's input expects, input_scale 0.00392157: float data "
            "become round(x / S); check --input-scale)",
        ),
        ("scale", None, ["--input-scale", "1/255"], "--input-scale: only with --data (it says"),
        (
            "both",
            {"x": np.zeros((3, 8, 8), np.uint8)},
            ["--inputs", "IN"],
            "--data: not with --inputs (give the images one way)",
        ),
    ],
)
@pytest.mark.parametrize("cmd", ["csim", "rtlsim"])
def test_bad_data_is_one_line_before_any_build(
    prj, tmp_path, no_sim, capsys, monkeypatch, cmd, case, arrays, extra, message
):
    from fpgasnn.backends.rtl import sim

    monkeypatch.setattr(sim, "RtlSim", None)  # a simulator build would fail loudly
    f = _npz(tmp_path / "d.npz", **arrays) if arrays is not None else None
    np.save(tmp_path / "in.npy", np.zeros((1, 1, 8, 8), np.uint8))
    extra = [str(tmp_path / "in.npy") if a == "IN" else a for a in extra]
    argv = [cmd, str(prj), *(["--data", f] if f else []), *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"fpgasnn {cmd}: error: ")
    assert message.format(f=f) in err[0]
    assert "images" not in no_sim


def test_data_file_that_is_not_npz(prj, tmp_path, capsys):
    (tmp_path / "x.npz").write_text("not a zip")
    assert main(["csim", str(prj), "--data", str(tmp_path / "x.npz")]) == 2
    err = capsys.readouterr().err
    assert "argument --data: " in err and "is not a .npz file" in err


def test_demo_data_and_replace_maxpool_reach_the_flow(tmp_path, monkeypatch, capsys):
    seen = {}

    def run_flow(cfg, out, *, progress=False, on_step=None):
        seen["cfg"] = cfg
        raise SystemExit(0)

    monkeypatch.setattr(flow, "run_flow", run_flow)
    f = _npz(tmp_path / "d.npz", x=np.zeros((4, 8, 8), np.uint8), y=np.zeros(4))
    (tmp_path / "m.h5").write_bytes(b"")
    assert main(["demo", "--data", f, "-o", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.strip() == (
        "fpgasnn demo: error: --data needs --model (the reference model is trained on the "
        "built-in data sets only)"
    )
    argv = ["demo", "--model", str(tmp_path / "m.h5"), "--data", f, "--input-scale", "1/2"]
    with pytest.raises(SystemExit):
        main([*argv, "--replace-maxpool", "-o", str(tmp_path / "o")])
    cfg = seen["cfg"]
    assert (cfg.data, cfg.input_scale, cfg.replace_maxpool) == (f, 0.5, True)
    assert main(["demo", "--dataset", "digits", "--data", f]) == 2  # one or the other
    assert "not allowed with argument --dataset" in capsys.readouterr().err
