"""ONNX graphs built with onnx.helper through the whole CLI flow on a few digits images:
convert -> build -> csim (fast tier) -> rtlsim (slow tier), bit-exact against the golden model."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx_graphs import brevitas_mlp, odd_names, qcfs_cnn, relu_cnn

from fpgasnn.cli import main
from fpgasnn.data import load_dataset
from fpgasnn.ir.serialize import load

pytestmark = [pytest.mark.tool]

GRAPHS = {
    "qcfs_cnn": qcfs_cnn,
    "relu_cnn": relu_cnn,
    "brevitas_mlp": brevitas_mlp,
    "odd_names": odd_names,
}


def _project(name, tmp_path):
    model = tmp_path / f"{name}.onnx"
    onnx.save(GRAPHS[name](), model)
    snn, prj, inputs = tmp_path / "net.snn", tmp_path / "prj", tmp_path / "in.npy"
    args = ["convert", str(model), "--dataset", "digits", "-T", "2", "--calib-images", "64"]
    assert main([*args, "-o", str(snn)]) == 0
    net = load(snn)
    x = load_dataset("digits", "test")[0][:6]
    np.save(inputs, np.ascontiguousarray(x.reshape(len(x), *net.nodes[0].shape)))
    assert main(["build", str(snn), "-o", str(prj)]) == 0
    return net, prj, inputs


@pytest.mark.parametrize("name", list(GRAPHS))
def test_convert_build_csim(name, tmp_path, capsys, require):
    require("g++", "ap_types")
    net, prj, inputs = _project(name, tmp_path)
    assert net.meta["source"].endswith(f"{name}.onnx")
    if name == "odd_names":
        files = " ".join(p.name for p in prj.rglob("*"))
        assert "module" in " ".join(n.name for n in net.nodes)  # the IR keeps the ONNX names
        assert "conv_a_b" in files or "conv_a_b" in (prj / "project.json").read_text()
    assert main(["csim", str(prj), "--inputs", str(inputs)]) == 0
    assert "bit-exact: 0 mismatches" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.parametrize("name", list(GRAPHS))
def test_convert_build_rtlsim(name, tmp_path, capsys, require):
    require("g++", "ap_types", "verilator")
    _, prj, inputs = _project(name, tmp_path)
    x = np.load(inputs)[:3]
    np.save(inputs, x)
    assert main(["rtlsim", str(prj), "--inputs", str(inputs)]) == 0
    out = capsys.readouterr().out
    assert "3 images" in out and "0 mismatches" in out
