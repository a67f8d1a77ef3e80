"""`fpgasnn build`: complete, deterministic projects; refusal to overwrite; lanes; unsupported nets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fpgasnn.backends.hls import build_context, project_plan
from fpgasnn.backends.hls.stimulus import parse_outputs
from fpgasnn.boards import load_board
from fpgasnn.cli import main
from fpgasnn.cli.build_cmd import parse_lanes
from fpgasnn.errors import BackendError
from fpgasnn.golden import simulate
from fpgasnn.hw import HwConfig, lower
from fpgasnn.ir import Conv2D, Input, Network, Output, Schedule, examples, save

EXPECTED_FILES = {
    "project.json",
    "network.snn",
    "firmware/snn_top.cpp",
    "firmware/snn_top.h",
    "firmware/parameters.h",
    "firmware/weights.h",
    "firmware/fpgasnn_defines.h",
    "firmware/fpgasnn_layers.h",
    "tb/snn_top_tb.cpp",
    "tb_data/inputs.txt",
    "tb_data/expected.txt",
    "scripts/build_hls.tcl",
    "scripts/build_vivado.tcl",
}


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def snn(tmp_path) -> Path:
    return save(
        examples.random_network(250, schedule=Schedule(wake=2, presim=2, sleep=2)),
        tmp_path / "n.snn",
    )


def test_build_is_complete_and_deterministic(snn, tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["build", str(snn), "--board", "zcu104", "-o", str(a), "--lanes", "2"]) == 0
    assert main(["build", str(snn), "--board", "zcu104", "-o", str(b), "--lanes", "2"]) == 0
    fa, fb = _files(a), _files(b)
    assert {f for f in fa if not f.startswith("rtl/")} == EXPECTED_FILES and "rtl/snn_top.v" in fa
    assert fa == fb
    assert fa["network.snn"] == snn.read_bytes()
    doc = json.loads(fa["project.json"])
    assert doc["board"]["name"] == "zcu104" and doc["board"]["part"] == "xczu7ev-ffvc1156-2-e"
    assert doc["schedule"] == {"presim": 2, "wake": 2, "sleep": 2, "total": 6}
    assert doc["network"] == "network.snn" and doc["top"] == "snn_top"
    net = examples.random_network(250, schedule=Schedule(wake=2, presim=2, sleep=2))
    assert doc["lanes"] == {st.synapse.name: min(2, st.synapse.out_channels) for st in net.stages()}
    assert f"wrote {len(fa)} files" in capsys.readouterr().out


def test_build_refuses_non_empty_folder(snn, tmp_path, capsys):
    out = tmp_path / "prj"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["build", str(snn), "-o", str(out)]) == 2
    assert "folder is not empty; use --force to replace it" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    # --force replaces only a project folder, whole: a folder of other files is never swept away
    assert main(["build", str(snn), "-o", str(out), "--force"]) == 2
    assert "not an fpgasnn project folder" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_unknown_board_is_an_error(snn, tmp_path, capsys):
    assert main(["build", str(snn), "--board", "nope", "-o", str(tmp_path / "p")]) == 2
    assert "unknown board 'nope'; known boards: alveo-u250," in capsys.readouterr().err


def test_tb_vectors_are_golden_outputs(tmp_path):
    net = examples.tiny()
    plan = project_plan(net, load_board("pynq-z2"))
    x = np.array(plan["tb_data/inputs.txt"].split(), dtype=np.int64).reshape(-1, *net.input.shape)
    scores, classes = parse_outputs(plan["tb_data/expected.txt"], net.num_classes)
    gold = simulate(net, x)
    assert len(x) == 16
    np.testing.assert_array_equal(scores, gold.scores)
    np.testing.assert_array_equal(classes, gold.classes)


def test_parse_lanes():
    assert parse_lanes([]) is None
    assert parse_lanes(["4"]) == 4
    assert parse_lanes(["conv1=4,fc1=2"]) == {"conv1": 4, "fc1": 2}
    assert parse_lanes(["conv1=4", "fc1=2"]) == {"conv1": 4, "fc1": 2}
    with pytest.raises(BackendError, match="expected LAYER=N, got 'conv1'"):
        parse_lanes(["conv1", "x=1"])
    with pytest.raises(BackendError, match="layer 'fc1': expected an integer, got 'z'"):
        parse_lanes(["fc1=z"])


def test_lanes_policy_and_pragmas():
    net = examples.reference_mnist()

    def lanes(policy):
        return lower(net, HwConfig.make(policy)).lanes

    assert lanes(16) == {"conv1": 16, "conv2": 16, "fc1": 16, "fc2": 10}
    assert lanes({"conv2": 8}) == {"conv1": 1, "conv2": 8, "fc1": 1, "fc2": 1}
    with pytest.raises(BackendError, match=r"lanes given for unknown layers \['sn1'\]"):
        lanes({"sn1": 2})
    assert lanes({"fc2": 16})["fc2"] == 10  # capped at the output channels, like a number
    with pytest.raises(BackendError, match=r"layer 'fc2': lanes must be >= 1, got 0"):
        lanes({"fc2": 0})
    plan = project_plan(lower(net, HwConfig.make({"conv2": 8})), load_board("pynq-z2"))
    top = plan["firmware/snn_top.cpp"]
    conv2 = top[top.index("void stage_conv2(") : top.index("void stage_fc1(")]
    assert "HLS ARRAY_PARTITION variable=v cyclic factor=8 dim=2" in conv2
    assert "variable=v " not in top[top.index("void stage_conv1(") : top.index("void stage_conv2(")]
    assert "static const unsigned lanes = 8;" in plan["firmware/parameters.h"]


def test_widths_come_from_range_analysis():
    net = examples.reference_mnist()
    ctx = build_context(net, load_board("pynq-z2"))
    from fpgasnn.ir import annotate_widths

    ann = annotate_widths(net)
    for st, n in zip(ctx.neurons, ann.neurons(), strict=False):
        assert st.mem_bits == n.membrane_bits
    text = project_plan(lower(net), load_board("pynq-z2"))["firmware/parameters.h"]
    assert f"typedef ap_int<{ann.neurons()[0].membrane_bits}> mem_t;" in text
    assert f"typedef ap_int<{ann.output.acc_bits}> acc_t;" in text


def test_output_after_conv_is_refused():
    net = Network(
        (Input("x", (1, 4, 4)), Conv2D("c", np.ones((2, 1, 3, 3), dtype=np.int64)), Output("o")),
        Schedule(wake=1),
    )
    with pytest.raises(
        BackendError, match=r"output layer 'o': the last synapse 'c' must produce a flat"
    ):
        project_plan(lower(net), load_board("pynq-z2"))


@pytest.mark.tool
def test_cli_build_then_csim(tmp_path, capsys):
    from conftest import need

    need("g++", "ap_types")
    net = examples.random_network(241, schedule=Schedule(wake=2, presim=2, sleep=2))
    snn = save(net, tmp_path / "net.snn")
    prj = tmp_path / "prj"
    assert main(["build", str(snn), "-o", str(prj), "--lanes", "conv0=2"]) == 0
    x = np.random.default_rng(5).integers(-128, 128, size=(25, *net.input.shape))
    lo, hi = net.input.value_range
    np.save(tmp_path / "x.npy", np.clip(x, lo, hi))
    capsys.readouterr()
    assert main(["csim", str(prj), "--inputs", str(tmp_path / "x.npy")]) == 0
    out = capsys.readouterr().out
    assert (
        "csim: 25 images, scores, class and per-step spikes compared with the golden model" in out
    )
    assert "bit-exact: 0 mismatches" in out
    (prj / "firmware" / "weights.h").write_text(
        (prj / "firmware" / "weights.h")
        .read_text()
        .replace("fc_out_b[", "fc_out_b_unused[", 1)
        .replace("} // namespace weights", ""),
        encoding="utf-8",
    )
    assert main(["csim", str(prj), "-n", "5"]) == 2
    assert "compiling the C simulation" in capsys.readouterr().err


def test_auto_lanes_build_records_one_lanes_map(tmp_path):
    # auto lanes are capped at the output channels (fc2: 10 for 10 outputs); project.json records the
    # lowering's lanes, and both back ends (and the RTL tools) use exactly those
    from fpgasnn.backends.rtl.context import build_context as rtl_context
    from fpgasnn.cli.rtlsim_cmd import project_lanes
    from fpgasnn.flow import build_project

    net = examples.reference_mnist()
    build_project(net, "pynq-z2", tmp_path / "prj", "auto128")
    doc = json.loads((tmp_path / "prj" / "project.json").read_text())
    assert doc["lanes"]["fc2"] == 10 and "rtl_lanes" not in doc
    assert sum(doc["lanes"].values()) <= 128
    assert dict(project_lanes(tmp_path / "prj", []).lanes.per_layer) == doc["lanes"]
    assert {s.hw.name: s.lanes for s in rtl_context(net, doc["lanes"]).stages} == doc["lanes"]
