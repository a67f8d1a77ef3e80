"""Tap-parallel convolutions in the HLS C++: the synaptic current of a convolution is banked by output
position with the lowering's bank grid (every tap of an input event in its own bank), the tap loop is
unrolled, and the C simulation stays bit-exact with the golden model with every tap in parallel
(taps="all") and with one tap per cycle (taps=1)."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest

from conftest import need
from fpgasnn.backends.hls import build_context, project_plan
from fpgasnn.backends.hls.csim import run_csim
from fpgasnn.backends.hls.stimulus import random_images
from fpgasnn.backends.plan import write_plan
from fpgasnn.boards import load_board
from fpgasnn.golden import simulate
from fpgasnn.hw import HwConfig, lower
from fpgasnn.ir import NeuronKind, Schedule, examples
from fpgasnn.ir.network import Network, infer_shapes
from fpgasnn.ir.nodes import AvgPool2D, Conv2D, Dense, Flatten, Input, Neuron, Output, same_padding

IF, SIF, CIF = NeuronKind.IF, NeuronKind.SIGNED_IF, NeuronKind.CONSISTENT_IF


def banked_network(
    seed: int,
    kind: NeuronKind,
    schedule: Schedule,
    kernel: tuple[int, int],
    stride: int,
    pool: bool,
    same: bool,
    per_neuron: bool,
) -> Network:
    """in -> conv0 3x3 -> [pool] -> conv1 (``kernel``, ``stride``, 'same' or no padding) -> [pool] ->
    dense: a hidden convolution whose taps the banks serve (conv0 is the first, gathering layer)."""
    rng = np.random.default_rng(seed)
    c, h = 2, int(rng.integers(9, 13))
    nodes: list = [Input("in", (c, h, h), bits=4)]
    w0 = rng.integers(-7, 8, size=(4, c, 3, 3))
    th0 = max(1, round(float(np.abs(w0).sum(axis=(1, 2, 3)).mean()) * 4 * 0.3))
    nodes += [
        Conv2D("conv0", w0, rng.integers(-th0 // 3, th0 // 3 + 1, 4), padding=(1, 1, 1, 1)),
        Neuron("sn0", kind, th0, int(rng.integers(0, th0))),
    ]
    if pool:
        nodes.append(AvgPool2D("pool0", 2))
    shape = infer_shapes(nodes)[-1]
    kh, kw = kernel
    pad = (0, 0, 0, 0)
    if same:
        pad = (*same_padding(shape[1], kh, stride), *same_padding(shape[2], kw, stride))
    w1 = rng.integers(-7, 8, size=(5, shape[0], kh, kw))
    th1 = max(1, round(float(np.abs(w1).sum(axis=(1, 2, 3)).mean()) * (1.2 if pool else 0.3) * 0.4))
    nodes.append(
        Conv2D("conv1", w1, rng.integers(-th1 // 3, th1 // 3 + 1, 5), stride=stride, padding=pad)
    )
    shape = infer_shapes(nodes)[-1]
    v0 = rng.integers(-th1 // 2, th1 + 1, size=shape) if per_neuron else th1 // 2
    nodes.append(Neuron("sn1", kind, th1, v0))
    if pool and shape[1] >= 4:
        nodes.append(AvgPool2D("pool1", 2))
        shape = infer_shapes(nodes)[-1]
    nodes += [
        Flatten("flat"),
        Dense("fc_out", rng.integers(-7, 8, size=(6, int(np.prod(shape))))),
        Output("out"),
    ]
    return Network(
        tuple(nodes), schedule, {"source": "tests/backends/hls/test_hls_banks.py", "seed": seed}
    )


S_PLAIN, S_PRESIM, S_SLEEP, S_BOTH = (
    Schedule(wake=3),
    Schedule(wake=2, presim=2),
    Schedule(wake=3, sleep=2),
    Schedule(wake=2, presim=2, sleep=2),
)
# (seed, kind, schedule, kernel, stride, pool, same padding, per-neuron v0): every neuron kind and
# phase, bank grids 3x3 (3x3 stride 1), 2x2 (3x3 stride 2), 2x3 (3x5 stride 2), 1x1 with 4 taps
# (2x2 stride 2), pooling before and after, padding or none.
CASES = [
    (1, IF, S_PLAIN, (3, 3), 1, False, True, False),
    (2, SIF, S_PRESIM, (3, 3), 2, True, True, True),
    (3, CIF, S_SLEEP, (3, 5), 2, False, True, True),
    (4, IF, S_BOTH, (2, 2), 2, True, False, False),
    (5, SIF, S_SLEEP, (3, 3), 1, True, False, False),
    (6, CIF, S_BOTH, (3, 3), 2, False, False, True),
    (10, IF, S_PRESIM, (3, 5), 2, True, True, False),
    (8, SIF, S_PLAIN, (3, 3), 1, False, True, True),
]
FAST = {1, 2, 3, 4}


def _params():
    for case in CASES:
        seed, kind, sched, kernel, stride, pool, same, _pn = case
        marks = [pytest.mark.tool] + ([] if seed in FAST else [pytest.mark.slow])
        for taps in ("all", 1):
            yield pytest.param(
                *case,
                taps,
                marks=marks,
                id=(
                    f"{seed}-{kind.value}-p{sched.presim}w{sched.wake}s{sched.sleep}-k{kernel[0]}x{kernel[1]}"
                    f"s{stride}-{'pool' if pool else 'nopool'}-{'same' if same else 'valid'}-taps{taps}"
                ),
            )


def test_bank_grid_of_the_cases_is_what_the_cases_claim():
    grids = {}
    for seed, kind, sched, kernel, stride, pool, same, pn in CASES:
        hw = lower(
            banked_network(seed, kind, sched, kernel, stride, pool, same, pn),
            HwConfig.make(1, "all"),
        )
        st = hw.stages[1]
        assert st.taps == kernel[0] * kernel[1]
        grids[(kernel, stride)] = st.bank_grid
    assert grids == {
        ((3, 3), 1): (3, 3),
        ((3, 3), 2): (2, 2),
        ((3, 5), 2): (2, 3),
        ((2, 2), 2): (1, 1),
    }


@pytest.mark.parametrize(
    "seed, kind, sched, kernel, stride, pool, same, per_neuron, taps", list(_params())
)
def test_banked_network_bit_exact(
    seed, kind, sched, kernel, stride, pool, same, per_neuron, taps, tmp_path
):
    need("g++", "ap_types")
    net = banked_network(seed, kind, sched, kernel, stride, pool, same, per_neuron)
    x = random_images(net, 40, seed)
    res = run_csim(
        net, x, trace=True, strict=seed % 2 == 0, lanes=1 + seed % 3, taps=taps, workdir=tmp_path
    )
    assert res.first_mismatch is None, str(res.first_mismatch)
    assert res.mismatches == 0 and res.traced
    gold = simulate(net, x)
    np.testing.assert_array_equal(res.scores, gold.scores)
    assert all(int(v.sum()) > 0 for v in gold.spike_events.values())  # every layer spikes
    assert len(set(gold.classes.tolist())) > 1
    assert res.warnings == []


def _context_banks(net, taps):
    ctx = build_context(lower(net, HwConfig.make(2, taps)), load_board("pynq-z2"))
    return {
        st.synapse.name: (st.synapse.bank_rows, st.synapse.bank_cols, st.synapse.bank_words)
        for st in ctx.stages
    }


def test_context_banks_come_from_the_records():
    net = banked_network(3, CIF, S_SLEEP, (3, 5), 2, False, True, True)
    hw = lower(net, HwConfig.make(2, "all"))
    conv1 = hw.stages[1]
    rows, cols = conv1.bank_grid
    assert (rows, cols) == (2, 3)
    words = -(-conv1.out_h // rows) * -(-conv1.out_w // cols)
    assert _context_banks(net, "all")["conv1"] == (2, 3, words)
    assert _context_banks(net, 1)["conv1"] == (1, 1, conv1.out_h * conv1.out_w)
    per_layer = _context_banks(net, {"conv0": "all", "conv1": 1})
    assert per_layer["conv0"] == (3, 3, (-(-hw.stages[0].out_h // 3)) ** 2)
    assert per_layer["conv1"] == (1, 1, conv1.out_h * conv1.out_w)


def _synthesis_view(plan, tmp_path) -> str:
    """snn_top.cpp preprocessed as the HLS tool sees it (__SYNTHESIS__ defined)."""
    need("g++")
    write_plan(plan, tmp_path / "p")
    fake = tmp_path / "fake"
    fake.mkdir()
    for h in ("ap_int.h", "hls_stream.h"):
        (fake / h).write_text("")
    fw = tmp_path / "p" / "firmware"
    proc = subprocess.run(
        [
            "g++",
            "-E",
            "-P",
            "-D__SYNTHESIS__",
            "-I",
            str(fake),
            "-I",
            str(fw),
            "-x",
            "c++",
            str(fw / "snn_top.cpp"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _body(text: str, name: str) -> str:
    """The text of function ``name`` in a preprocessed file (its last occurrence: the definition)."""
    start = text.rindex(f"void {name}(")
    end = text.find("\nvoid ", start + 1)
    return text[start : end if end > 0 else None]


@pytest.mark.tool
def test_bank_pragmas_follow_the_records(tmp_path):
    """MNIST reference net, conv2 with every tap (bank grid 3x3 of 14x14 -> 25 words) and 8 lanes:
    the current is declared [3][3][25][32], both bank dimensions are completely partitioned, the
    channels cyclically by 8, the weight ROM one bank per tap; the tap loops are unrolled. With
    taps=1 for conv2, a single bank of all 196 positions and no bank partition."""
    net = examples.reference_mnist()
    hw = lower(net, HwConfig.make({"conv2": 8}, "all"))
    conv2 = hw.stages[1]
    assert conv2.bank_grid == (3, 3) and (conv2.out_h, conv2.out_w) == (14, 14)
    text = _synthesis_view(project_plan(hw, load_board("pynq-z2")), tmp_path / "all")
    stage = _body(text, "stage_conv2")
    decl = re.search(r"conv2_config_t::cur_t cur\[(\d+)\]\[(\d+)\]\[(\d+)\]\[(\d+)\];", stage)
    assert decl is not None and decl.groups() == ("3", "3", "25", "32")
    for pragma in (
        "#pragma HLS ARRAY_PARTITION variable=cur complete dim=1",
        "#pragma HLS ARRAY_PARTITION variable=cur complete dim=2",
        "#pragma HLS ARRAY_PARTITION variable=cur cyclic factor=8 dim=4",
        "#pragma HLS ARRAY_PARTITION variable=weights::conv2_w complete dim=1",
        "#pragma HLS ARRAY_PARTITION variable=weights::conv2_w cyclic factor=8 dim=2",
    ):
        assert pragma in stage, pragma
    assert "#pragma HLS UNROLL\n" in text  # the bank loops of conv_event_banked
    # the first layer gathers its 3x3 window at once: the pooled image is banked by 3 rows and 3
    # columns, its weight ROM by tap, and the tap loops unroll by kh and kw
    first = _body(text, "stage_conv1")
    for pragma in (
        "#pragma HLS ARRAY_PARTITION variable=x cyclic factor=3 dim=2",
        "#pragma HLS ARRAY_PARTITION variable=x cyclic factor=3 dim=3",
        "#pragma HLS ARRAY_PARTITION variable=weights::conv1_w complete dim=1",
    ):
        assert pragma in first, pragma
    assert "const unsigned tap_rows = CFG::taps > 1 ? CFG::kh : 1;" in text
    assert "#pragma HLS UNROLL factor=tap_rows" in text
    assert "variable=cur complete" not in _body(text, "stage_fc1")  # dense layers: one bank
    # the weight ROM of conv2 is [KH*KW][C*O]: the first tap's row starts with w[o=0, c=0, 0, 0]
    w = net.stages()[1].synapse.weight >> conv2.w_shift
    rom = project_plan(hw, load_board("pynq-z2"))["firmware/weights.h"]
    m = re.search(r"conv2_w\[9\]\[512\] = \{\s*\{\s*(-?\d+), (-?\d+)", rom)
    assert m is not None and (int(m.group(1)), int(m.group(2))) == (w[0, 0, 0, 0], w[1, 0, 0, 0])

    serial = _synthesis_view(
        project_plan(lower(net, HwConfig.make({"conv2": 8}, {"conv2": 1})), load_board("pynq-z2")),
        tmp_path / "one",
    )
    stage = _body(serial, "stage_conv2")
    assert "conv2_config_t::cur_t cur[1][1][196][32];" in stage
    assert "variable=cur complete" not in stage
    assert "variable=weights::conv2_w complete" not in stage
