"""The report's latency (RTL cycle model) and resources (Yosys, cached) sections on a built project."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import need
from fpgasnn.backends.hls.project import read_project
from fpgasnn.backends.rtl.cycles import estimate
from fpgasnn.cli import main
from fpgasnn.hw import HwConfig, lower
from fpgasnn.ir import examples, serialize
from fpgasnn.report import sources
from fpgasnn.report.collect import ReportOptions, collect


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("rep")
    snn = root / "tiny.snn"
    snn.write_bytes(serialize.dumps(examples.tiny(seed=3)))
    prj = root / "prj"
    assert main(["build", str(snn), "-o", str(prj), "--lanes", "2"]) == 0
    return prj


def test_latency_section_is_the_cycle_model(project):
    doc, net, board = read_project(project)
    x = np.random.default_rng(1).integers(0, 16, size=(12, *net.input.shape))
    sec = sources.latency(net, doc["lanes"], board, x)
    est = estimate(net, x, 2)
    assert (sec["BestLatency"], sec["WorstLatency"]) == (est.alone.min(), est.alone.max())
    assert (sec["IntervalMin"], sec["IntervalMax"]) == (est.interval.min(), est.interval.max())
    assert sec["latency_us_mean"] == pytest.approx(est.alone.mean() / board.clock_mhz)
    assert sec["images_per_s"] == pytest.approx(board.clock_mhz * 1e6 / est.interval.mean())
    # an image alone is never slower than one queued behind others; the first image is alone
    assert np.all(est.alone <= est.cycles) and est.alone[0] == est.cycles[0]
    layers = sec["per_layer"]
    assert [r["layer"] for r in layers] == [s.activation.name for s in net.stages()]
    assert sec["interval_lower_bound_mean"] <= sec["interval_mean"]
    assert sec["lower_bound_mean"] <= sec["cycles_mean"]
    # the slowest layer's busy cycles bound the stream from below: streaming the 12 images (the 11
    # intervals, then the last image's latency) takes at least every layer's busy cycles summed over
    # them (a mean interval alone may be shorter: the first image enters an empty core)
    n = len(x)
    assert est.interval.sum() + est.cycles[-1] >= n * max(r["cycles"] for r in layers) - 1e-6
    assert [r["update_words"] for r in layers] == [
        s.update_words for s in lower(net, HwConfig.make(doc["lanes"])).stages
    ]
    assert all(r["cycles"] >= r["lower_bound"] > 0 for r in layers)


def test_collect_without_synthesis_has_latency_and_no_resources(project):
    rep = collect(
        project,
        ReportOptions(cycle_images=5, synth=False),
        latency=sources.latency,
        resources=sources.resources,
    )
    assert rep["latency"]["images"] == 5 and "resources" not in rep


@pytest.mark.tool
def test_resources_from_yosys_are_cached(project, tmp_path):
    need("yosys")
    doc, net, board = read_project(project)
    sec = sources.resources(net, doc["lanes"], board, project)
    assert sec["LUT"] > 0 and sec["FF"] > 0 and sec["fits"] is True
    assert sec["pct"]["LUT"] == pytest.approx(100.0 * sec["LUT"] / board.resources["LUT"])
    assert "pre-place-and-route" in sec["how"] and board.yosys_family in sec["how"]
    cache = project / "report" / sources.CACHE_FILE
    stamp = json.loads(cache.read_text())
    # a cache hit counts the file's cells (again: an older fpgasnn counted fewer LUTs): prove Yosys
    # is not rerun
    stamp["LUT"] = -1
    stamp["cells"] = {"LUT6": 5, "RAM64M": 2, "FDRE": 3}
    cache.write_text(json.dumps(stamp))
    hit = sources.synthesize(project, board)
    assert (hit["LUT"], hit["FF"]) == (5 + 4 * 2, 3)
    (project / "rtl" / "snn_top.v").write_text((project / "rtl" / "snn_top.v").read_text() + "\n")
    assert sources.synthesize(project, board)["LUT"] == sec["LUT"]  # sources changed: rerun


def test_vendor_reports_in_the_project_replace_the_estimates(project, tmp_path):
    from test_vendor import CSYNTH, UTIL

    from fpgasnn.report.render import terminal_table
    from fpgasnn.report.vendor import parse_csynth_xml

    syn = project / "vitis_prj" / "solution1" / "syn" / "report"
    syn.mkdir(parents=True)
    (syn / "snn_top_csynth.xml").write_text(CSYNTH)
    (project / "impl_utilization_placed.rpt").write_text(UTIL)
    try:
        rep = collect(
            project,
            ReportOptions(cycle_images=3),
            latency=sources.latency,
            resources=sources.resources,
        )
        hls = parse_csynth_xml(syn / "snn_top_csynth.xml")
        assert "Vivado utilization report" in rep["resources"]["how"]  # not Yosys
        assert rep["latency_hls"]["WorstLatency"] == hls["WorstLatency"]
        assert rep["latency"]["images"] == 3  # the cycle model of the Verilog core stays beside it
        assert "HLS core" in terminal_table(rep)
    finally:
        (syn / "snn_top_csynth.xml").unlink()
        (project / "impl_utilization_placed.rpt").unlink()
