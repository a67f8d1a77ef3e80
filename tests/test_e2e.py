"""End to end through every level, in the fast tier: a QAT model trained here on scikit-learn digits ->
Keras front end -> integer SNN (best calibration) -> project -> golden model, g++ C simulation,
Verilator RTL simulation (cycles == model), Yosys synthesis -> report. Driven through `fpgasnn demo`."""

from __future__ import annotations

import json

import pytest

from conftest import need
from fpgasnn.cli import main

pytestmark = [pytest.mark.tool, pytest.mark.keras]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    need("g++", "ap_types", "verilator", "yosys")
    from fpgasnn.keras.models import ModelSpec
    from fpgasnn.keras.train import train_model

    root = tmp_path_factory.mktemp("e2e")
    spec = ModelSpec(dataset="digits", conv=(8,), hidden=32, epochs=20, batch_size=64)
    trained = train_model(spec, root / "digits.h5")
    out = root / "demo"
    rc = main(
        [
            "demo",
            "--dataset",
            "digits",
            "--model",
            str(trained.path),
            "--lanes",
            "auto8",
            "--csim-images",
            "120",
            "--rtlsim-images",
            "4",
            "-o",
            str(out),
        ]
    )
    rep = json.loads((out / "pynq-z2" / "report" / "report.json").read_text())
    return rc, trained, rep, out


def out_of(demo):
    return demo[3]


def test_every_level_passes(demo):
    rc, _, rep, _ = demo
    flow = rep["flow"]
    assert rc == 0, {k: v["summary"] for k, v in flow.items() if not v["ok"]}
    assert set(flow) == {"model", "convert", "build", "golden", "sweep", "csim", "rtlsim", "synth"}
    assert (flow["csim"]["images"], flow["csim"]["mismatches"]) == (120, 0)
    assert (flow["rtlsim"]["images"], flow["rtlsim"]["mismatches"]) == (4, 0)
    assert flow["rtlsim"]["cycles_exact"] and flow["rtlsim"]["cycles_measured"] > 0
    assert min(flow["synth"][k] for k in ("LUT", "FF")) > 0
    # auto8: a budget of 8 lanes spent by the synaptic events of calibration images, in the project
    assert "auto8: " in flow["build"]["summary"]
    lanes = json.loads((out_of(demo) / "pynq-z2" / "project.json").read_text())["lanes"]
    assert sum(lanes.values()) <= 8 and max(lanes.values()) > 1


def test_accuracy_survives_conversion(demo):
    _, trained, rep, _ = demo
    flow = rep["flow"]
    assert flow["model"]["ann_q_top1_pct"] == pytest.approx(trained.test_top1_pct, abs=1e-6)
    assert trained.test_top1_pct > 85.0
    snn = flow["golden"]["snn_top1_pct"]
    assert snn >= trained.test_top1_pct - 3.0  # T = 4 = L with the best calibration
    assert rep["accuracy"]["snn_top1_pct"] == pytest.approx(snn, abs=1e-3)  # same 360 test images
    sweep = {(r["method"], r["T"]): r["snn_top1_pct"] for r in rep["accuracy_vs_T"]}
    own = flow["convert"]["method"]
    assert {(m, t) for m in ("qcfs", "signed_cal") for t in (1, 2, 4, 8)} <= set(sweep)
    # `best` resolves per T: one record for each T below the flow's, and the converted network itself
    best = {r["T"] for r in rep["accuracy_vs_T"] if r["method_requested"] == "best"}
    assert best >= {1, 2}
    assert sweep[(own, 4)] == pytest.approx(snn, abs=1e-3)  # the converted network, all 360 images


def test_report_has_every_section(demo):
    _, _, rep, out = demo
    lat, res, en = rep["latency"], rep["resources"], rep["energy"]
    assert lat["BestLatency"] <= lat["cycles_mean"] <= lat["WorstLatency"]
    # pipelined: images stream back to back one interval apart; the interval sets the throughput
    assert 0 < lat["IntervalMin"] <= lat["interval_mean"] <= lat["IntervalMax"]
    assert lat["images_per_s"] == pytest.approx(rep["clock_mhz"] * 1e6 / lat["interval_mean"])
    assert lat["cycles_mean"] >= lat["lower_bound_mean"] > 0
    assert (
        res["fits"]
        and res["LUT"] == rep["flow"]["synth"]["LUT"]
        and "pre-place-and-route" in res["how"]
    )
    assert en["sop"] > 0 and en["mac"] > 0 and "pJ" in en["how"]
    html = (out / "pynq-z2" / "report" / "report.html").read_text()
    assert html.count("<img") >= 4  # accuracy vs T, spike rates, cycles per layer, resources
    assert "flow step : csim    ok" in html and "flow step : rtlsim  ok" in html
    assert (out / "net.snn").is_file() and (out / "pynq-z2" / "scripts").is_dir()
