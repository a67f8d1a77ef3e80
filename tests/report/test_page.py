"""The single-core report page: key figures against the board and the goal first, then the plots, then
the sources. Rendered in headless Chromium (tool marker) for a small built project."""

from __future__ import annotations

import copy
import dataclasses
import html
import re
import struct

import pytest
from test_vendor import UTIL

from fpgasnn.cli import main
from fpgasnn.ir import examples, serialize
from fpgasnn.report import figures
from fpgasnn.report.collect import ReportOptions
from fpgasnn.report.page import html_page
from fpgasnn.report.write import write_report

KEYS = ["accuracy", "latency", "throughput", "clock", "resources", "energy"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The tiny demo net with an 8-bit input (so the digits test split feeds it), built for pynq-z2,
    with a Vivado utilization report in the project (resources without running Yosys); the report is
    written twice into two folders."""
    root = tmp_path_factory.mktemp("page")
    net = examples.tiny(seed=3)
    net = dataclasses.replace(
        net, nodes=(dataclasses.replace(net.nodes[0], bits=8), *net.nodes[1:])
    )
    (root / "tiny8.snn").write_bytes(serialize.dumps(net))
    prj = root / "prj"
    assert main(["build", str(root / "tiny8.snn"), "-o", str(prj), "--lanes", "2"]) == 0
    (prj / "impl_utilization_placed.rpt").write_text(UTIL)
    opts = ReportOptions(dataset="digits", images=360, cycle_images=12, synth=False)
    rep, files, table = write_report(prj, opts, root / "rep")
    _, again, _ = write_report(prj, opts, root / "rep2")
    return rep, files, again, table


def test_page_order_and_no_external_resource(built):
    rep, files, again, table = built
    page = files[1].read_text(encoding="utf-8")
    assert page == again[1].read_text(encoding="utf-8")  # deterministic
    assert page.find("id='key-figures'") < page.find("id='plots'") < page.find("id='sources'")
    assert re.findall(r"id='fig-(\w+)'", page) == KEYS
    # no network: nothing is loaded from outside the file (no http, no script, no link)
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page)
    assert "<script" not in page and "<link" not in page
    # the terminal summary is still there for copying, below the sources
    assert html.escape(table, quote=True) in page and page.find("id='terminal'") > page.find(
        "id='sources'"
    )
    acc = rep["accuracy"]
    assert f"{acc['snn_top1_pct']:.2f} %" in page and acc["images"] == 360
    assert (rep["resources"]["LUT"], rep["resources"]["pct"]["LUT"]) == (
        15321,
        pytest.approx(100 * 15321 / 53200),
    )


def test_key_figures_of_the_built_project(built):
    rep = built[0]
    figs = {f.key: f for f in figures.key_figures(rep)}
    assert list(figs) == KEYS
    assert figs["accuracy"].status == figures.INFO  # no ANN in this report: no goal to judge by
    assert figs["latency"].value == f"{rep['latency']['latency_us_mean']:.2f} µs"
    assert figs["throughput"].value == f"{rep['latency']['images_per_s']:,.0f} images/s"
    clock = figs["clock"]
    assert (clock.value, clock.status, clock.verdict) == (
        "100 MHz",
        figures.WARN,
        "clock not verified by place and route",
    )
    res = figs["resources"]
    assert (res.status, res.verdict, res.value) == (figures.OK, "fits pynq-z2", "28.8 % LUT")
    rows, src = figures.resource_rows(rep)
    assert [(r.key, r.used, r.capacity) for r in rows] == [
        ("LUT", 15321, 53200),
        ("FF", 9876, 106400),
        ("BRAM_18K", 41, 280),  # 20.5 RAMB36 tiles = 41 RAMB18
        ("DSP", 9, 220),
    ]
    assert "utilization" in src.lower()
    sources = figures.source_rows(rep)
    assert [r["figure"] for r in sources] == [
        "Accuracy",
        "Latency, throughput",
        "Clock",
        "Resources",
        "Energy",
        "Spike rates",
    ]
    assert "on the first 360 images of the digits test split" in sources[0]["how"]
    assert all(r["how"] for r in sources)


def _with_flow(rep: dict, ann: float) -> dict:
    rep = copy.deepcopy(rep)
    rep["flow"] = {
        "model": {"ok": True, "summary": "given model m.h5", "ann_q_top1_pct": ann},
        "rtlsim": {"ok": True, "summary": "4 images", "images": 4, "cycles_exact": True},
    }
    return rep


def test_accuracy_against_the_quantized_ann(built):
    rep = built[0]
    snn = rep["accuracy"]["snn_top1_pct"]
    near = figures.accuracy_figure(_with_flow(rep, snn + 0.5))
    far = figures.accuracy_figure(_with_flow(rep, snn + 3.0))
    assert (near.status, near.verdict) == (figures.OK, "-0.50 pp vs ANN")
    assert (far.status, far.verdict) == (figures.WARN, "-3.00 pp vs ANN")
    assert f"quantized ANN {snn + 3.0:.2f} %" in far.detail
    lat = figures.latency_figure(_with_flow(rep, snn))
    assert lat.source == "cycle model, 12 images; Verilator cycle-exact on 4"
    names = [r["figure"] for r in figures.source_rows(_with_flow(rep, snn))]
    assert names[:2] == ["Accuracy", "Accuracy goal"] and "check: rtlsim" in names


def _post_route(fmax: float, clock: float, *, current: bool = True) -> dict:
    """A post-route section in the shape fpgasnn.report.postroute writes."""
    keys = ("LUT4", "FF", "EBR", "MULT18")
    used = {"LUT4": 2563, "FF": 900, "EBR": 3, "MULT18": 4}
    cap = {"LUT4": 83640, "FF": 83640, "EBR": 208, "MULT18": 156}
    return {
        "runs": [
            {
                "board": "ulx3s-85f",
                "part": "LFE5U-85F-6BG381C",
                "seed": 1,
                "clock_mhz": clock,
                "fmax_mhz": fmax,
                "met": fmax >= clock,
                "current": current,
                "check": f"post-route fmax {fmax:.1f} MHz",
                **used,
                "pct": {k: 100.0 * used[k] / cap[k] for k in keys},
                "critical_path": "u_conv1.wcnt -> u_conv1.q_count: 15.39 ns",
                "latency_us_mean": 1000.0 / fmax,
            }
        ],
        "how": "`fpgasnn pnr`: nextpnr-ecp5",
    }


def test_clock_from_place_and_route(built):
    rep = copy.deepcopy(built[0])
    rep["post_route"] = _post_route(64.98, 100.0)
    miss = figures.clock_figure(rep)
    assert (miss.status, miss.verdict) == (figures.BAD, "MISSED: fmax 65.0 MHz on ulx3s-85f")
    assert "MISSES the 100 MHz target" in miss.detail and "u_conv1.wcnt" in miss.detail
    assert "A proxy: pynq-z2" in miss.detail
    assert "15.39 µs at the post-route fmax 65.0 MHz" in figures.latency_figure(rep).detail
    assert "post-route on ulx3s-85f: LUT4 2,563 (3.1 %)" in figures.resources_figure(rep).detail
    names = [r["figure"] for r in figures.source_rows(rep)]
    assert names[2:5] == ["Clock", "Resources", "Energy"]
    assert names[5] == "Post-route resources on ulx3s-85f"
    rep["post_route"] = _post_route(112.0, 100.0)
    met = figures.clock_figure(rep)
    assert (met.status, met.verdict) == (figures.OK, "met: fmax 112.0 MHz on ulx3s-85f")
    rep["post_route"] = _post_route(112.0, 100.0, current=False)
    stale = figures.clock_figure(rep)
    assert stale.status == figures.WARN and "stale" in stale.detail
    assert "fpgasnn pnr --board ulx3s-85f" in stale.detail
    page = html_page(rep)
    assert "id='post_route'" in page and "STALE" in page


def test_over_capacity_and_unknown_capacity(built):
    rep = copy.deepcopy(built[0])
    rep["resources"]["DSP"] = 300
    rep["resources"]["pct"]["DSP"] = 300 / 220 * 100
    over = figures.resources_figure(rep)
    assert (over.status, over.verdict, over.value) == (
        figures.BAD,
        "DOES NOT FIT pynq-z2",
        "136.4 % DSP",
    )
    assert "class='over'" in html_page(rep)
    rep["resources"]["pct"]["DSP"] = float("inf")  # the board file does not list DSPs
    unknown = figures.resources_figure(rep)
    assert (unknown.status, unknown.verdict) == (
        figures.WARN,
        "capacity of pynq-z2 unknown for DSP",
    )


def test_without_data_set_or_latency(built):
    rep = copy.deepcopy(built[0])
    for k in ("accuracy", "latency", "resources"):
        del rep[k]
    figs = figures.key_figures(rep)
    assert [f.key for f in figs] == ["accuracy", "clock", "energy"]
    assert figs[0].value == "not measured" and "--dataset" in figs[0].detail
    page = html_page(rep)
    assert "id='plot-cycles'" not in page and "id='plot-spikes'" in page


def _png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


@pytest.mark.tool
def test_page_in_headless_chromium(built, require, tmp_path):
    require("chromium")
    from fpgasnn.report import browser

    page = built[1][1]
    dom = browser.rendered_dom(page)
    block = re.search(r"<section id=\"key-figures\">(.*?)</section>", dom, re.S)
    assert block is not None
    assert re.findall(r'id="fig-(\w+)"', block.group(1)) == KEYS
    assert "clock not verified by place and route" in block.group(1)
    sources = re.search(r'<table id="sources">(.*?)</table>', dom, re.S)
    assert sources is not None and sources.group(1).count("<tr>") == 1 + 6  # header + 6 figures
    imgs = browser.image_status(page)
    assert [i["alt"] for i in imgs] == [
        "Cycles per layer against the lower bound",
        "Resources against pynq-z2",
        "Spike rate per layer",
    ]
    # every plot decoded by the browser, at the pixel size of its PNG
    srcs = re.findall(r"src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"", dom)
    import base64

    sizes = [_png_size(base64.b64decode(s)) for s in srcs]
    assert [(i["width"], i["height"]) for i in imgs] == sizes and all(w > 0 for w, _ in sizes)
    shot = browser.screenshot(page, tmp_path / "report.png", (1100, 2600))
    assert _png_size(shot.read_bytes()) == (1100, 2600)
