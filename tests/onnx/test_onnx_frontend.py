"""The ONNX front end on graphs built with onnx.helper (no PyTorch): what each graph is read as, the
float network against onnxruntime on random inputs, and one error for every unsupported node."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx_graphs import G, brevitas_mlp, qcfs_cnn, relu_cnn, three_unsupported

from fpgasnn.cli import main
from fpgasnn.convert.floatnet import FAct, FConv, FDense, FFlatten, FInput, FPool
from fpgasnn.errors import FrontendError, UnsupportedLayerError
from fpgasnn.onnx.frontend import from_onnx, onnx_logits
from fpgasnn.onnx.scalar import recognise


def _images(shape, n=200, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, *shape))


def test_qcfs_cnn_is_read_as_two_qcfs_activations_and_matches_onnxruntime():
    m = qcfs_cnn(L=2)
    fnet = from_onnx(m)
    kinds = [type(layer) for layer in fnet.layers]
    assert kinds == [FInput, FConv, FAct, FPool, FConv, FAct, FFlatten, FDense]
    a1, a2 = fnet.activations()
    assert (a1.name, a1.levels, a1.lam, a1.shift) == ("act1", 2, pytest.approx(1.5), 0.5)
    assert (a2.name, a2.levels, a2.lam, a2.shift) == ("act2", 2, pytest.approx(2.0), 0.5)
    assert fnet.layers[1].padding == (1, 1, 1, 1)
    assert fnet.meta["frontend"] == "onnx" and not fnet.meta["relu_thresholds"]
    x = _images((1, 8, 8))
    ref = onnx_logits(m, x)
    got = fnet.forward(x)
    assert ref.shape == got.shape == (200, 10)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)


def test_float_relu_cnn_matches_onnxruntime_and_is_calibrated():
    m = relu_cnn()
    x = _images((1, 8, 8), seed=1)
    fnet = from_onnx(m, calib_images=x[:64], relu_levels=4, relu_percentile=99.0)
    names = ["/features/1/Relu", "/features/3/Relu"]
    assert [a.name for a in fnet.activations()] == names
    assert set(fnet.meta["relu_thresholds"]) == set(names)
    assert fnet.meta["relu_calibration_images"] == 64
    conv1 = fnet.layers[1]
    assert conv1.stride == 2 and conv1.padding == (1, 1, 1, 1)
    assert isinstance(fnet.layers[-1], FDense) and fnet.layers[-1].bias is not None  # MatMul + Add
    got = fnet.forward(x, plain=set(names))  # the float network: ReLUs unclipped
    np.testing.assert_allclose(got, onnx_logits(m, x), rtol=1e-5, atol=1e-5)
    with pytest.raises(FrontendError, match="calib_images"):
        from_onnx(m)


def test_brevitas_qonnx_quant_nodes():
    m = brevitas_mlp()
    fnet = from_onnx(m)
    (act,) = fnet.activations()
    assert (act.levels, act.lam, act.shift) == (3, pytest.approx(0.75), 0.5)
    assert fnet.input.scale == pytest.approx(1 / 255)  # the input Quant is the identity on pixels
    w = fnet.layers[1].weight / 0.05  # 4-bit narrow weights: integers in -7..7 times the scale
    np.testing.assert_allclose(w, np.rint(w), atol=1e-6)
    assert np.abs(np.rint(w)).max() <= 7
    x = _images((64,), seed=2)
    np.testing.assert_allclose(fnet.forward(x), onnx_logits(m, x), rtol=1e-5, atol=1e-5)


def test_three_unsupported_nodes_in_one_error():
    with pytest.raises(UnsupportedLayerError) as e:
        from_onnx(three_unsupported())
    msg = str(e.value)
    assert "3 node(s)" in msg
    for name, op in (
        ("/act1/LeakyRelu", "LeakyRelu"),
        ("/pool/MaxPool", "MaxPool"),
        ("/act2/Tanh", "Tanh"),
    ):
        assert f"'{name}' ({op})" in msg


def test_cli_error_exit_2_nothing_written(tmp_path, capsys):
    path = tmp_path / "bad.onnx"
    onnx.save(three_unsupported(), path)
    out = tmp_path / "bad.snn"
    rc = main(["convert", str(path), "--dataset", "digits", "-T", "2", "-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and not out.exists()
    assert "Traceback" not in err and "/act1/LeakyRelu" in err and "/act2/Tanh" in err
    assert "/pool/MaxPool" in err
    rc = main(["convert", str(path), "--dataset", "digits", "--replace-maxpool", "-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and "/pool/MaxPool" not in err and "2 node(s)" in err


def test_structural_problems_named():
    g = G((1, 8, 8))
    g.conv("/c1/Conv", 2, pads=(1, 1, 1, 1))
    x1 = g.x
    g.node("Relu", [x1], "/r/Relu")
    g.node("Add", [g.x, x1], "/res/Add")  # a residual: merges two data tensors
    g.flatten("/f/Flatten")
    g.gemm("/fc/Gemm", 3)
    with pytest.raises(UnsupportedLayerError) as e:
        from_onnx(g.model((1, 8, 8)))
    msg = str(e.value)
    assert "'/res/Add' (Add): merges 2 inputs" in msg
    assert "'/c1/Conv' (Conv): its output feeds 2 nodes" in msg


@pytest.mark.parametrize(
    "ops, kind, levels, lam, shift",
    [
        # the QCFS chain with lam = 2, L = 4; the clamp before or after the floor
        (
            [
                ("affine", 0.5, 0),
                ("clip", 0, 1),
                ("affine", 4, 0),
                ("affine", 1, 0.5),
                ("floor",),
                ("affine", 0.25, 0),
                ("affine", 2, 0),
            ],
            "act",
            4,
            2.0,
            0.5,
        ),
        (
            [
                ("affine", 0.5, 0),
                ("affine", 4, 0),
                ("affine", 1, 0.5),
                ("floor",),
                ("affine", 0.25, 0),
                ("clip", 0, 1),
                ("affine", 2, 0),
            ],
            "act",
            4,
            2.0,
            0.5,
        ),
        # CASC's floor quantizer (no +0.5)
        ([("clip", 0, 1), ("affine", 8, 0), ("floor",), ("affine", 0.125, 0)], "act", 8, 1.0, 0.0),
        ([("clip", 0, 6)], "clipped_relu", 0, 6.0, 0.5),
        ([("clip", 0, float("inf"))], "relu", 0, 0.0, 0.5),
    ],
)
def test_recognise(ops, kind, levels, lam, shift):
    what, why = recognise(ops)
    assert why is None and what.kind == kind and what.k == pytest.approx(1.0)
    if kind == "act":
        assert (what.levels, what.shift) == (levels, shift) and what.lam == pytest.approx(lam)
    if kind == "clipped_relu":
        assert what.lam == pytest.approx(lam)


@pytest.mark.parametrize(
    "ops, reason",
    [
        ([("affine", 4, 0), ("floor",), ("clip", -8, 7), ("affine", 0.25, 0)], "lowest level"),
        ([("affine", 4, 0), ("floor",), ("affine", 0.25, 0)], "no lower clip"),
        ([("affine", 4, 0), ("floor",), ("clip", 0, 2.5)], "between two quantization levels"),
        ([("clip", 0, 1), ("floor",), ("floor",)], "two roundings"),
        ([("affine", -1, 0), ("clip", 0, 1)], "positive scales"),
        ([("clip", 1, 3)], "a ReLU clips at x = 0"),
    ],
)
def test_recognise_refuses(ops, reason):
    what, why = recognise(ops)
    assert what is None and reason in why


def test_scale_after_activation_goes_into_next_layer():
    """relu(x) * 3 then Gemm == relu(x) then Gemm with 3x the weights; a per-channel Mul after a
    Conv folds into it."""
    g = G((1, 4, 4), seed=5)
    g.conv("/c/Conv", 3)
    g.node("Mul", [g.x, g.const(np.array([[[2.0]], [[0.5]], [[1.5]]], np.float32))], "/c/Mul")
    g.clip("/a/Clip", 0.0, 6.0)
    g.node("Mul", [g.x, g.const(np.float32(3.0))], "/a/Mul")
    g.flatten("/f/Flatten")
    g.gemm("/fc/Gemm", 5)
    m = g.model((1, 4, 4))
    fnet = from_onnx(m)
    (act,) = fnet.activations()
    assert act.lam == pytest.approx(6.0) and act.name == "a"
    x = _images((1, 4, 4), seed=3)
    np.testing.assert_allclose(
        fnet.forward(x, quantized=False), onnx_logits(m, x), rtol=1e-5, atol=1e-5
    )


def test_input_division_joins_the_input_scale_and_fixed_batch():
    """A model that divides by 255 itself, exported with a fixed batch of 1."""
    g = G((1, 8, 8), seed=6, batch=1)
    g.node("Div", [g.x, g.const(np.float32(255.0))], "/norm/Div")
    g.conv("/c/Conv", 2)
    g.node("Relu", [g.x], "/r/Relu")
    g.view_flatten("/v")
    g.gemm("/fc/Gemm", 3)
    m = g.model((1, 8, 8))
    x = _images((1, 8, 8), n=7, seed=4)
    fnet = from_onnx(m, calib_images=x, input_scale=1.0)
    assert fnet.input.scale == pytest.approx(1 / 255)
    ref = onnx_logits(m, x, input_scale=1.0)
    assert ref.shape == (7, 3)
    np.testing.assert_allclose(fnet.forward(x, plain={"/r/Relu"}), ref, rtol=1e-5, atol=1e-5)


def test_unnamed_and_duplicate_node_names_stay_unique():
    g = G((4,), seed=7)
    g.gemm("", 5)
    g.nodes[-1].name = ""
    g.node("Relu", [g.x], "dup")
    g.gemm("dup", 3)
    fnet = from_onnx(g.model((4,)), calib_images=_images((4,), n=32))
    names = [layer.name for layer in fnet.layers]
    assert len(set(names)) == len(names) and "Gemm_0" in names


def test_no_tensorflow_import():
    code = (
        "import sys, numpy as np\n"
        "sys.path.insert(0, 'tests/onnx')\n"
        "from onnx_graphs import qcfs_cnn\n"
        "from fpgasnn.onnx import from_onnx, onnx_logits\n"
        "from fpgasnn.convert.pipeline import convert\n"
        "f = from_onnx(qcfs_cnn())\n"
        "convert(f, 2, 'qcfs')\n"
        "onnx_logits(qcfs_cnn(), np.zeros((1, 1, 8, 8)))\n"
        "assert 'tensorflow' not in sys.modules and 'torch' not in sys.modules, 'heavy import'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_not_an_onnx_file(tmp_path, capsys):
    p = tmp_path / "m.onnx"
    p.write_bytes(b"not a protobuf at all \xff\xfe")
    rc = main(["convert", str(p), "-o", str(tmp_path / "n.snn")])
    err = capsys.readouterr().err
    assert rc == 2 and "not a readable ONNX model file" in err and "Traceback" not in err


def test_helper_graph_is_valid_onnx():
    for m in (qcfs_cnn(), relu_cnn(), three_unsupported()):
        onnx.checker.check_model(m, full_check=True)


def test_cli_evaluate_reports_the_model_as_onnxruntime_runs_it(tmp_path, capsys):
    import json

    from fpgasnn.data import load_dataset

    path, js = tmp_path / "q.onnx", tmp_path / "r.json"
    onnx.save(qcfs_cnn(), path)
    args = ["evaluate", str(path), "--dataset", "digits", "-T", "2", "--test-images", "60"]
    assert main([*args, "--no-float-sim", "--json", str(js)]) == 0
    out = capsys.readouterr().out
    assert "the model as onnxruntime runs it" in out and "SNN = onnxruntime on" in out
    (rec,) = json.loads(js.read_text())
    assert rec["framework"] == "onnx" and rec["T"] == 2
    x, y = load_dataset("digits", "test")
    top1 = 100 * np.mean(np.argmax(onnx_logits(qcfs_cnn(), x[:60]), axis=1) == y[:60])
    assert rec["keras_top1_pct"] == pytest.approx(top1)
