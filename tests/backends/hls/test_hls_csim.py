"""C simulation of the emitted HLS C++ (g++) against the golden model, bit-exactly: scores, class and
every neuron layer's spikes at every step, on random networks covering every neuron kind and phase."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from conftest import need
from fpgasnn.backends.hls import project_plan
from fpgasnn.backends.hls.csim import run_csim
from fpgasnn.backends.hls.stimulus import random_images
from fpgasnn.backends.plan import write_plan
from fpgasnn.boards import load_board
from fpgasnn.golden import simulate
from fpgasnn.ir import NeuronKind, Schedule, examples

S_PLAIN, S_PRESIM, S_SLEEP, S_BOTH = (
    Schedule(wake=3),
    Schedule(wake=2, presim=2),
    Schedule(wake=3, sleep=2),
    Schedule(wake=2, presim=2, sleep=2),
)
IF, SIF, CIF = NeuronKind.IF, NeuronKind.SIGNED_IF, NeuronKind.CONSISTENT_IF

# (seed, kind, schedule, per-neuron v0): every kind x schedule x v0 style; seeds chosen so that every
# neuron layer spikes on random images and the classes differ (no vacuous comparison).
CASES = [
    (102, IF, S_PLAIN, False),
    (110, IF, S_PLAIN, True),
    (121, IF, S_PRESIM, False),
    (130, IF, S_PRESIM, True),
    (140, IF, S_SLEEP, False),
    (150, IF, S_SLEEP, True),
    (160, IF, S_BOTH, False),
    (170, IF, S_BOTH, True),
    (180, SIF, S_PLAIN, False),
    (191, SIF, S_PLAIN, True),
    (200, SIF, S_PRESIM, False),
    (211, SIF, S_PRESIM, True),
    (220, SIF, S_SLEEP, False),
    (230, SIF, S_SLEEP, True),
    (241, SIF, S_BOTH, False),
    (250, SIF, S_BOTH, True),
    (260, CIF, S_PLAIN, False),
    (275, CIF, S_PLAIN, True),
    (280, CIF, S_PRESIM, False),
    (292, CIF, S_PRESIM, True),
    (302, CIF, S_SLEEP, False),
    (312, CIF, S_SLEEP, True),
    (322, CIF, S_BOTH, False),
    (330, CIF, S_BOTH, True),
]
FAST = {140, 160, 211, 230, 275, 322}


def _params():
    for i, (seed, kind, sched, pn) in enumerate(CASES):
        marks = [pytest.mark.tool] + ([] if seed in FAST else [pytest.mark.slow])
        yield pytest.param(
            i,
            seed,
            kind,
            sched,
            pn,
            marks=marks,
            id=f"{seed}-{kind.value}-p{sched.presim}w{sched.wake}s{sched.sleep}-"
            f"{'pn' if pn else 'pl'}",
        )


@pytest.mark.parametrize("index, seed, kind, sched, per_neuron", list(_params()))
def test_random_network_bit_exact(index, seed, kind, sched, per_neuron, tmp_path):
    need("g++", "ap_types")
    net = examples.random_network(seed, kind, sched, per_neuron)
    x = random_images(net, 40, seed)
    # Alternate the strict build (ap_int arithmetic everywhere) and the default one (native
    # accumulators, ap_int storage); both must equal the golden model.
    strict = index % 2 == 0
    res = run_csim(net, x, trace=True, strict=strict, lanes=1 + index % 3, workdir=tmp_path)
    assert res.traced and res.strict == strict
    assert res.first_mismatch is None, str(res.first_mismatch)
    assert res.mismatches == 0
    gold = simulate(net, x)
    np.testing.assert_array_equal(res.scores, gold.scores)
    np.testing.assert_array_equal(res.classes, gold.classes)
    assert all(int(v.sum()) > 0 for v in gold.spike_events.values())
    assert res.warnings == []


@pytest.mark.tool
def test_reference_mnist_200_images_strict(tmp_path):
    need("g++", "ap_types")
    net = examples.reference_mnist(T=4)
    x = random_images(net, 200, seed=7)
    x[:100] = x[:100] * (x[:100] > 170)  # half of them sparse, like digits
    res = run_csim(
        net, x, trace=True, strict=True, lanes={"conv1": 4, "conv2": 8}, workdir=tmp_path
    )
    assert res.images == 200
    assert res.first_mismatch is None, str(res.first_mismatch)
    np.testing.assert_array_equal(res.scores, simulate(net, x).scores)
    assert res.warnings == []


@pytest.mark.tool
def test_mismatch_and_warning_are_found(tmp_path):
    """A wrong threshold in the generated config must be reported at the first differing spike, and a
    warning in the project's own code must be reported (so the warning-free checks are not vacuous)."""
    need("g++", "ap_types")
    net = examples.random_network(211, SIF, S_PRESIM, True)
    prj = tmp_path / "prj"
    write_plan(project_plan(net, load_board("pynq-z2")), prj)
    params = prj / "firmware" / "parameters.h"
    text = params.read_text()
    theta = net.neurons()[0].theta
    params.write_text(text.replace(f"theta = {theta};", f"theta = {theta + 1};", 1))
    top = prj / "firmware" / "snn_top.cpp"  # and a warning in our code must be reported
    top.write_text(
        top.read_text().replace(
            "using namespace fpgasnn;", "using namespace fpgasnn;\n    int unused = 0;"
        )
    )
    res = run_csim(prj, n=30, trace=True, workdir=tmp_path / "work")
    assert len(res.warnings) == 1 and "unused variable" in res.warnings[0]
    assert res.warnings[0].startswith(str(top.resolve()))
    assert not res.ok and res.mismatches > 0
    m = res.first_mismatch
    assert m is not None and m.what == "spikes" and m.layer == net.neurons()[0].name
    gold = simulate(net, random_images(net, 30, 0), trace=True).trace.spikes[m.layer]
    assert int(gold[(m.step, m.image, *m.neuron)]) == m.golden != m.csim
    assert str(m).startswith(f"image {m.image}, layer {m.layer!r}, step {m.step} ({m.phase})")


@pytest.mark.tool
def test_untraced_threaded_run_and_standalone_test_bench(tmp_path):
    """The project's own test bench, run as Vitis would (no arguments, from the project folder),
    checks tb_data/expected.txt and fails on a wrong expected value; the threaded untraced run agrees."""
    need("g++", "ap_types")
    net = examples.tiny()
    res = run_csim(net, n=64, trace=False, threads=2, workdir=tmp_path)
    assert res.ok and not res.traced and res.images == 64
    np.testing.assert_array_equal(res.classes, simulate(net, random_images(net, 64, 0)).classes)
    prj = tmp_path / "project"
    exe = str(tmp_path / "build" / "csim")
    proc = subprocess.run([exe], cwd=prj, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "FPGASNN_CSIM images=16 mismatches=0" in proc.stdout
    results = (prj / "tb_data" / "csim_results.txt").read_text()
    assert results == (prj / "tb_data" / "expected.txt").read_text()
    expected = prj / "tb_data" / "expected.txt"
    rows = expected.read_text().splitlines()
    first = rows[3].split()
    first[0] = str(int(first[0]) + 1)
    rows[3] = " ".join(first)
    expected.write_text("\n".join(rows) + "\n")
    proc = subprocess.run([exe], cwd=prj, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 1
    assert "FPGASNN_CSIM images=16 mismatches=1" in proc.stdout
    assert "image 3: score 0 is" in proc.stderr


@pytest.mark.tool
def test_synthesis_view_has_interface_and_lanes_pragmas(tmp_path):
    """Preprocessed as the HLS tool sees it (__SYNTHESIS__), the pragmas are real and follow lanes."""
    need("g++")
    net = examples.reference_mnist()
    write_plan(project_plan(net, load_board("pynq-z2"), {"conv2": 8, "fc1": 4}), tmp_path / "p")
    fake = tmp_path / "fake"
    fake.mkdir()
    for h in ("ap_int.h", "hls_stream.h"):
        (fake / h).write_text("")
    proc = subprocess.run(
        [
            "g++",
            "-E",
            "-P",
            "-D__SYNTHESIS__",
            "-I",
            str(fake),
            "-I",
            str(tmp_path / "p" / "firmware"),
            "-x",
            "c++",
            str(tmp_path / "p" / "firmware" / "snn_top.cpp"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout

    def body(name):
        start = text.rindex(f"void {name}(")
        end = text.find("\nvoid ", start + 1)
        return text[start : end if end > 0 else None]

    for pragma in (
        "#pragma HLS INTERFACE axis port=pixels_in",
        "#pragma HLS INTERFACE axis port=scores_out",
        "#pragma HLS INTERFACE s_axilite port=return bundle=control",
    ):
        assert pragma in body("snn_top")
    assert "#pragma HLS ARRAY_PARTITION variable=v cyclic factor=8 dim=2" in body("stage_conv2")
    assert "#pragma HLS ARRAY_PARTITION variable=cur cyclic factor=4 dim=4" in body("stage_fc1")
    assert "variable=v cyclic" not in body("stage_conv1")  # one lane: no partition
    for pragma in ("#pragma HLS UNROLL factor=lanes", "#pragma HLS PIPELINE II=1"):
        assert pragma in text
    assert "const unsigned lanes = CFG::lanes;" in text
    # no function-local static state in the top or the layer processes
    assert "static" not in text[text.index("void stage_conv1(") :]


@pytest.mark.tool
def test_refined_weights_are_stored_shifted_and_stay_bit_exact(tmp_path):
    # Layers at 2**k finer units (resolution bits) have weights that are multiples of 2**k: the ROM
    # keeps weight >> k (no wider storage) and the kernels scale back; spikes and scores are unchanged.
    need("g++", "ap_types")
    from fpgasnn.backends.hls.context import build_context

    base = examples.random_network(160, IF, S_BOTH, False)
    syn = [st.synapse.name for st in base.stages()]
    net = examples.refined(base, {syn[0]: 2, syn[1]: 5})
    ctx, ctx_base = (
        build_context(net, load_board("pynq-z2")),
        build_context(base, load_board("pynq-z2")),
    )
    for i, k in enumerate((2, 5)):
        assert ctx.stages[i].synapse.w_shift == ctx_base.stages[i].synapse.w_shift + k
        assert ctx.stages[i].synapse.weight.ctype == ctx_base.stages[i].synapse.weight.ctype
    x = random_images(net, 30, 1)
    res = run_csim(net, x, trace=True, strict=True, lanes=2, workdir=tmp_path)
    assert res.first_mismatch is None and res.mismatches == 0, str(res.first_mismatch)
    gold, gold_base = simulate(net, x), simulate(base, x)
    np.testing.assert_array_equal(res.scores, gold.scores)
    np.testing.assert_array_equal(gold.scores, gold_base.scores)
    assert all(int(v.sum()) > 0 for v in gold.spike_events.values())
