"""Layer pipelining in the HLS C++: one process per layer in a DATAFLOW region, connected by per-step
spike queues deep enough for a whole step, so layer l can compute step t+1 while layer l+1 consumes
step t. The queue protocol is checked on the first layer's process ALONE (it runs every step without
the rest of the network), against the golden model's spikes of that layer, step by step."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest

from conftest import need
from fpgasnn import toolchain
from fpgasnn.backends.hls import build_context, project_plan
from fpgasnn.backends.hls.csim import CXXFLAGS, run_csim
from fpgasnn.backends.hls.stimulus import random_images
from fpgasnn.backends.plan import write_plan
from fpgasnn.boards import load_board
from fpgasnn.golden import simulate
from fpgasnn.hw import HwConfig, lower
from fpgasnn.ir import NeuronKind, Schedule, examples
from fpgasnn.ir.network import Network
from fpgasnn.ir.nodes import AvgPool2D, Dense, Flatten, Input, Neuron, Output


def _synthesis_view(plan, tmp_path) -> str:
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


@pytest.mark.tool
def test_top_is_a_dataflow_chain_with_whole_step_queues(tmp_path):
    """snn_top holds only the queues and one call per layer, in order, under DATAFLOW; each queue
    is as deep as the producing layer's step can be (every position x chunk of lanes, plus the end
    marker), and its entries are as wide as the records say."""
    net = examples.reference_mnist()
    hw = lower(net, HwConfig.make({"conv2": 8, "fc1": 4}, "all"))
    plan = project_plan(hw, load_board("pynq-z2"))
    text = _synthesis_view(plan, tmp_path)
    top = text[text.rindex("void snn_top(") :]
    body = top[top.index("{") + 1 : top.rindex("}")]
    assert "#pragma HLS DATAFLOW" in body
    hidden = [s for s in hw.stages if not s.is_output]
    depths = {s.act_ident: s.out_positions * s.chunks + 1 for s in hidden}
    assert depths == {"sn1": 28 * 28 * 16 + 1, "sn2": 14 * 14 * 4 + 1, "sn3": 16 + 1}
    for ident, depth in depths.items():
        assert f"#pragma HLS STREAM variable=spikes_{ident} depth={depth}" in body
    calls = re.findall(r"^\s*(stage_\w+)\((\w+), (\w+)\);", body, re.MULTILINE)
    assert calls == [
        ("stage_conv1", "pixels_in", "spikes_sn1"),
        ("stage_conv2", "spikes_sn1", "spikes_sn2"),
        ("stage_fc1", "spikes_sn2", "spikes_sn3"),
        ("stage_fc2", "spikes_sn3", "scores_out"),
    ]
    # nothing else runs in the top: its statements are pragmas, the queues, and the calls
    for line in filter(None, (ln.strip() for ln in body.splitlines())):
        assert line.startswith(("#pragma HLS", "hls::stream<", "stage_", "using namespace")), line
    # each layer process resets its own state before its time loop (no state outlives a call)
    for s in hidden:
        stage = text[text.rindex(f"void stage_{s.ident}(") :]
        stage = stage[: stage.index("\nvoid ")]
        assert stage.index("neuron_init<") < stage.index(
            "for (unsigned t = 0; t < total_steps; t++)"
        )
        assert "static" not in stage
    params = plan["firmware/parameters.h"]
    # sn2: 196 positions (8 bits), 4 chunks (2 bits), 8 lanes; sn3: 1 position, 16 chunks, 4 lanes
    assert "typedef spike_event_t<8, 2, 8> event_t;" in params
    assert "typedef spike_event_t<1, 4, 4> event_t;" in params


DRIVER = r"""
#include "snn_top.cpp"
#include <cstdio>

int main() {
    using namespace fpgasnn;
    hls::stream<input_beat_t> pixels("pixels");
    for (unsigned k = 0; k < {{SIZE}}; k++) {
        long long v;
        if (std::scanf("%lld", &v) != 1) return 2;
        input_beat_t beat;
        beat.data = v;
        beat.keep = -1;
        beat.strb = -1;
        beat.last = k + 1 == {{SIZE}};
        pixels.write(beat);
    }
    hls::stream<{{CFG}}::event_t> queue("queue");
    stage_{{STAGE}}(pixels, queue);  // the first layer alone: all steps, nobody consuming
    while (!queue.empty()) {
        const {{CFG}}::event_t ev = queue.read();
        if (ev.end) {
            std::printf("end\n");
        } else {
            std::printf("%u %u %llu %llu\n", ev.pixel.to_uint(), ev.chunk.to_uint(),
                        (unsigned long long)ev.pos.to_uint64(), (unsigned long long)ev.neg.to_uint64());
        }
    }
    return pixels.empty() ? 0 : 1;
}
"""


@pytest.mark.tool
@pytest.mark.parametrize("kind, lanes", [(NeuronKind.SIGNED_IF, 3), (NeuronKind.IF, 1)])
def test_first_layer_queue_holds_each_step_of_golden_spikes(kind, lanes, tmp_path):
    need("g++", "ap_types")
    net = examples.random_network(241, kind, Schedule(wake=2, presim=2, sleep=2), True)
    hw = lower(net, HwConfig.make(lanes))
    first = hw.stages[0]
    assert not first.is_output
    if lanes == 3:
        assert (first.out_c, first.chunks) == (4, 2)  # the last chunk is partly empty
    ctx = build_context(hw, load_board("pynq-z2"))
    n = ctx.neurons[0]
    write_plan(project_plan(hw, load_board("pynq-z2")), tmp_path / "p")
    fw = tmp_path / "p" / "firmware"
    driver = (
        DRIVER.replace("{{SIZE}}", str(ctx.input.size))
        .replace("{{CFG}}", n.cfg)
        .replace("{{STAGE}}", first.ident)
    )
    (fw / "driver.cpp").write_text(driver)
    exe = tmp_path / "driver"
    toolchain.run_tool(
        [
            toolchain.gxx(),
            *CXXFLAGS,
            "-isystem",
            str(toolchain.ap_types_include()),
            "-I",
            str(fw),
            str(fw / "driver.cpp"),
            "-o",
            str(exe),
        ],
        cwd=tmp_path,
        what="compiling the queue driver",
    )
    x = random_images(net, 3, 5)
    gold = simulate(net, x, trace=True).trace.spikes[n.name]  # (steps, images, C, H, W)
    pixels, channels = n.pixels, n.channels
    for i in range(len(x)):
        proc = subprocess.run(
            [str(exe)],
            input=" ".join(map(str, x[i].reshape(-1))),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        steps: list[np.ndarray] = []
        cur = np.zeros((pixels, channels), dtype=np.int64)
        last = (-1, -1)
        for line in proc.stdout.splitlines():
            if line == "end":
                steps.append(cur)
                cur = np.zeros((pixels, channels), dtype=np.int64)
                last = (-1, -1)
                continue
            p, k, pos, neg = map(int, line.split())
            assert (p, k) > last and pos | neg and not pos & neg  # ordered, nonzero, exclusive
            last = (p, k)
            for lane in range(lanes):
                c = k * lanes + lane
                bit = ((pos >> lane) & 1) - ((neg >> lane) & 1)
                assert c < channels or bit == 0
                if bit:
                    cur[p, c] = bit
        assert len(steps) == hw.total_steps
        got = np.stack(steps).reshape(hw.total_steps, first.out_h, first.out_w, channels)
        got = np.moveaxis(got, -1, 1)  # (steps, C, H, W)
        np.testing.assert_array_equal(got, gold[:, i])
    assert (
        np.abs(gold).reshape(len(gold), -1).sum(axis=1) > 0
    ).sum() > 1  # spikes in several steps


def _edge_networks() -> dict[str, Network]:
    rng = np.random.default_rng(3)
    dense_first = Network(
        (
            Input("in", (2, 6, 6), bits=4),
            AvgPool2D("p", 2),
            Flatten("f"),
            Dense("fc1", rng.integers(-7, 8, size=(9, 18)), rng.integers(-3, 4, 9)),
            Neuron("sn1", NeuronKind.SIGNED_IF, 40, 20),
            Dense("fc2", rng.integers(-7, 8, size=(5, 9))),
            Output("out"),
        ),
        Schedule(wake=3, presim=2, sleep=1),
    )
    only_output = Network(
        (
            Input("in", (1, 5, 5), bits=4),
            Flatten("f"),
            Dense("fc", rng.integers(-7, 8, size=(4, 25)), rng.integers(-3, 4, 4)),
            Output("out"),
        ),
        Schedule(wake=2, presim=1, sleep=1),
    )
    return {"dense_first": dense_first, "only_output": only_output}


@pytest.mark.tool
@pytest.mark.parametrize("name", ["dense_first", "only_output"])
def test_dense_first_layer_and_single_stage_networks_bit_exact(name, tmp_path):
    """A Dense first layer (its ROM [PH*PW][C*O], pooled input) and a network whose only stage is
    the output (one process: image in, scores out) through the same dataflow top."""
    need("g++", "ap_types")
    net = _edge_networks()[name]
    x = random_images(net, 30, 0)
    res = run_csim(net, x, trace=True, strict=name == "only_output", lanes=2, workdir=tmp_path)
    assert res.first_mismatch is None and res.mismatches == 0, str(res.first_mismatch)
    gold = simulate(net, x)
    np.testing.assert_array_equal(res.scores, gold.scores)
    assert len(set(gold.classes.tolist())) > 1
    assert all(int(v.sum()) > 0 for v in gold.spike_events.values())
    assert len(gold.spike_events) == (1 if name == "dense_first" else 0)
