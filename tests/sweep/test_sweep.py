"""`fpgasnn sweep` on a tiny digits network: the graph shares work, a LocalCluster of 2 worker processes
gives exactly the records of the synchronous scheduler, a sweep killed half-way recomputes only what had
not finished, and a failing point is recorded while the others finish (with synthesis, the best project
per board and the HTML page checked in headless Chromium)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from conftest import need
from fpgasnn.sweep.cache import cached_keys
from fpgasnn.sweep.graph import build_graph
from fpgasnn.sweep.run import HTML_FILE, POINTS_FILE, run_sweep
from fpgasnn.sweep.space import SweepConfig, points

# 4 lanes x 2 boards = 8 points; 1 conversion, 1 evaluation, 4 lowerings, 8 point tasks (one network:
# one worker process pays for TensorFlow, the tier stays cheap; test_graph_* covers sharing)
CFG = SweepConfig(
    dataset="digits",
    T=(2,),
    methods=("qcfs",),
    lanes=("1", "2", "4", "auto8"),
    boards=("pynq-z2", "zcu104"),
    res_bits=(17,),
    calib_images=64,
    cycle_images=20,
    synth=False,
)
TASKS = 14


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    from fpgasnn.keras.models import ModelSpec, reference_cnn

    spec = ModelSpec(dataset="digits", conv=(4,), hidden=8)
    path = tmp_path_factory.mktemp("model") / "digits.h5"
    reference_cnn(spec, (8, 8, 1)).save(path)
    return path


@pytest.fixture(scope="module")
def sync_run(model, tmp_path_factory):
    out = tmp_path_factory.mktemp("sync")
    return run_sweep(CFG, model, out, scheduler="synchronous", progress=False), out


def test_graph_computes_shared_work_once(tmp_path):
    model = tmp_path / "m.h5"
    model.write_bytes(b"not read: only hashed")
    cfg = replace(
        CFG,
        T=(1, 2),
        lanes=("2", "auto8"),
        boards=("pynq-z2", "arty-a7-100t", "zcu104", "ulx3s-85f"),
        synth=True,
    )
    g = build_graph(cfg, model)
    assert len(points(cfg)) == len(g.point_keys) == 2 * 2 * 4
    # one conversion per T, one lowering per (network, lanes, build: the ECP5 board's core registers
    # its scatter writes), one synthesis per (network, lanes, Yosys target): pynq-z2 and
    # arty-a7-100t are both xc7 and share theirs
    assert (g.count("convert"), g.count("evaluate"), g.count("hw")) == (2, 2, 4 * 2)
    wreg = {n.settings["write_register"] for n in g.nodes.values() if n.kind == "hw"}
    assert wreg == {False, True}
    assert g.count("synth") == 4 * 3 and g.count("pnr") == 0
    g2 = build_graph(replace(cfg, pnr=True), model)
    assert g2.count("pnr") == 4  # the one ECP5 board
    # keys are pure functions of (model hash, settings): the same inputs give the same graph
    assert list(build_graph(cfg, model).nodes) == list(g.nodes)
    model.write_bytes(b"another model")
    assert set(build_graph(cfg, model).nodes).isdisjoint(g.nodes)


@pytest.mark.keras
def test_synchronous_sweep_records(sync_run):
    res, out = sync_run
    recs = res.records
    assert len(recs) == 8 and all(r["error"] is None for r in recs)
    assert res.stats["tasks"] == TASKS and res.stats["cache_hits"] == 0
    assert [(r["T"], r["lanes"], r["board"]) for r in recs] == [
        (2, la, b) for la in ("1", "2", "4", "auto8") for b in ("pynq-z2", "zcu104")
    ]
    for r in recs:
        assert r["test_images"] == 360  # the whole digits test split
        assert r["latency_us"] == pytest.approx(r["latency_cycles"] / r["clock_mhz"], rel=1e-3)
        assert r["interval_cycles"] <= r["latency_cycles"]
        assert r["LUT"] is None and r["fits"] is None  # no synthesis asked for
    # zcu104 runs at 200 MHz, pynq-z2 at 100: the same core, half the latency in microseconds
    by = {(r["T"], r["lanes"], r["board"]): r for r in recs}
    a, b = by[(2, "2", "pynq-z2")], by[(2, "2", "zcu104")]
    assert a["latency_cycles"] == b["latency_cycles"]
    assert b["latency_us"] == pytest.approx(a["latency_us"] / 2, rel=1e-3)
    # more lanes, fewer cycles (the cycle model of the same network)
    lat = [by[(2, la, "pynq-z2")]["latency_cycles"] for la in ("1", "2", "4")]
    assert lat[0] > lat[1] > lat[2]
    assert res.stats["pareto_points"] >= 2  # at least one per board
    assert json.loads((out / POINTS_FILE).read_text()) == recs


@pytest.mark.keras
def test_local_cluster_gives_the_synchronous_records(model, sync_run, tmp_path):
    res = run_sweep(CFG, model, tmp_path, scheduler="local", workers=2, progress=False)
    assert res.stats["workers"] == 2 and res.stats["cache_hits"] == 0
    assert res.records == sync_run[0].records


@pytest.mark.keras
def test_killed_sweep_recomputes_only_unfinished_tasks(model, sync_run, tmp_path):
    out = tmp_path / "out"
    cache = out / "cache"
    argv = [sys.executable, "-m", "fpgasnn", "sweep", str(model), "--dataset", "digits"]
    argv += ["-T", "2", "--method", "qcfs", "--lanes", "1,2,4,auto8", "--board", "pynq-z2,zcu104"]
    argv += ["--calib-images", "64", "--cycle-images", "20", "--no-synth"]
    argv += ["--scheduler", "synchronous", "--no-progress", "-o", str(out)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not cached_keys(cache) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)  # killed half-way: no chance to clean up
    proc.wait()
    done = cached_keys(cache)
    assert 0 < len(done) < TASKS, f"the kill came too late or too early: {len(done)} tasks done"
    res = run_sweep(CFG, model, out, scheduler="synchronous", progress=False)
    assert res.stats["cache_hits"] == len(done)  # every finished task read back ...
    assert res.stats["computed"] == TASKS - len(done)  # ... and only the others run
    assert res.records == sync_run[0].records
    again = run_sweep(CFG, model, out, scheduler="synchronous", progress=False)
    assert (again.stats["cache_hits"], again.stats["computed"]) == (TASKS, 0)


FAILING = replace(CFG, lanes=("2", "conv9=3"), boards=("pynq-z2",))
UNKNOWN_LAYER = "hw: lanes given for unknown layers ['conv9']; the synapse layers are ['conv1', 'fc2', 'logits']"


def _table(dom: str, ident: str) -> str:
    return dom.split(f'<table id="{ident}">', 1)[1].split("</table>", 1)[0]


@pytest.mark.keras
@pytest.mark.tool
def test_failing_point_is_recorded_and_the_others_finish(model, tmp_path):
    need("chromium")
    from fpgasnn.report.browser import image_status, rendered_dom

    res = run_sweep(FAILING, model, tmp_path, scheduler="synchronous", progress=False)
    good, bad = res.records
    assert bad["error"] == UNKNOWN_LAYER
    assert bad["snn_top1_pct"] is None and bad["latency_us"] is None and bad["pareto"] is False
    assert good["error"] is None and good["latency_cycles"] > 0 and good["pareto"] is True
    assert res.stats["points_failed"] == 1 and res.stats["failed_tasks"] == 2  # hw and its point
    assert res.best == {}  # nothing synthesised: no point is known to fit
    # the page in a real browser: the plot decodes, the table holds both points and the error
    imgs = image_status(tmp_path / HTML_FILE)
    assert len(imgs) == 1 and imgs[0]["width"] > 100 and imgs[0]["height"] > 100
    dom = rendered_dom(tmp_path / HTML_FILE)
    rows = _table(dom, "points")
    assert rows.count("<tr") == 1 + 2 and "unknown layers" in rows
    assert 'id="plot-snn-top1-pct-vs-latency-us"' in dom


@pytest.mark.slow
@pytest.mark.keras
@pytest.mark.tool
def test_synthesis_chooses_and_builds_the_best_point_per_board(model, tmp_path):
    need("yosys", "chromium")
    from fpgasnn.report.browser import image_status, rendered_dom

    cfg = replace(FAILING, boards=("pynq-z2", "ulx3s-85f"), synth=True)
    res = run_sweep(cfg, model, tmp_path, scheduler="synchronous", progress=False)
    good = {r["board"]: r for r in res.records if r["error"] is None}
    assert [r["error"] for r in res.records if r["error"]] == [UNKNOWN_LAYER] * 2
    assert res.stats["tasks_by_kind"]["synth"] == 2 * 2  # (network, lanes) x {xc7, ecp5}
    x, e = good["pynq-z2"], good["ulx3s-85f"]
    assert x["LUT"] > 0 and x["fits"] is True and "synth_xilinx -family xc7" in x["resources"]
    assert e["LUT"] > 0 and e["fits"] is True and "synth_ecp5" in e["resources"]
    # the ECP5 point is the ECP5 build (as `fpgasnn build --registered-write`), cycles and all
    assert (x["write_register"], e["write_register"]) == (False, True)
    assert e["latency_cycles"] > x["latency_cycles"]
    assert res.best == good
    prj = tmp_path / "best" / "pynq-z2"
    assert json.loads((prj / "sweep_point.json").read_text()) == x
    doc = json.loads((prj / "project.json").read_text())
    assert doc["board"]["name"] == "pynq-z2" and doc["lanes"] == {"conv1": 2, "fc2": 2, "logits": 2}
    assert ".WREG(0)" in (prj / "rtl" / "snn_top.v").read_text()
    ecp = tmp_path / "best" / "ulx3s-85f"
    assert ".WREG(1)" in (ecp / "rtl" / "snn_top.v").read_text() and (ecp / "network.snn").is_file()
    imgs = image_status(tmp_path / HTML_FILE)
    assert len(imgs) == 3 and all(i["width"] > 100 and i["height"] > 100 for i in imgs)
    dom = rendered_dom(tmp_path / HTML_FILE)
    assert _table(dom, "points").count("<tr") == 1 + 4
    best = _table(dom, "best")
    assert best.count("<tr") == 1 + 2 and "ulx3s-85f" in best
    for ident in ("plot-snn-top1-pct-vs-latency-us", "plot-snn-top1-pct-vs-lut"):
        assert f'id="{ident}"' in dom


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--board", "nope"], "argument --board: unknown board 'nope'; known boards: "),
        (["-T", "1,1"], "argument -T/--steps: a value repeats in '1,1'"),
        (
            ["--lanes", "16,autoX"],
            "--lanes 'autoX': lanes: expected auto followed by a lane budget",
        ),
        (["--lanes", "4,4"], "--lanes: a policy repeats in '4,4'"),
        (["--workers", "2", "--scheduler", "synchronous"], "--workers: only for --scheduler local"),
    ],
)
def test_cli_mistakes_are_one_line_and_write_nothing(tmp_path, capsys, argv, message):
    from fpgasnn.cli import main

    model = tmp_path / "m.h5"
    model.write_bytes(b"never read")
    out = tmp_path / "out"
    assert main(["sweep", str(model), *argv, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fpgasnn sweep: error: ") and message in err and err.count("\n") == 1
    assert not out.exists()


@pytest.mark.keras
@pytest.mark.tool
def test_place_and_route_in_the_sweep_gives_post_route_figures(model, tmp_path):
    """``--pnr``: the ECP5 point takes nextpnr's post-route resources and fmax, not Yosys's."""
    need("yosys", "nextpnr", "ecppack")
    cfg = replace(CFG, lanes=("2",), boards=("ulx3s-85f",), synth=True, pnr=True)
    res = run_sweep(cfg, model, tmp_path, scheduler="synchronous", progress=False)
    assert res.stats["tasks_by_kind"]["pnr"] == 1
    (r,) = res.records
    assert r["error"] is None and "nextpnr-ecp5 post-route (seed 1" in r["resources"]
    assert r["fmax_mhz"] > r["clock_mhz"] == 25.0 and r["clock_met"] is True
    assert r["clock_from"] == "board" and r["fits"] is True
    assert r["LUT"] > 0 and r["FF"] > 0
    assert json.loads((tmp_path / POINTS_FILE).read_text()) == res.records
    again = run_sweep(cfg, model, tmp_path, scheduler="synchronous", progress=False)
    assert again.stats["computed"] == 0 and again.records == res.records  # pnr read back too


def test_a_missed_clock_counts_the_microseconds_at_fmax():
    """A point whose place and route missed the board clock is timed at the fmax it reached."""
    from fpgasnn.sweep.space import board_info
    from fpgasnn.sweep.tasks import point_record

    axes = {"dataset": "digits", "T": 2, "method": "qcfs", "res_bits": 17, "lanes": "2"}
    s = {**axes, "board": "ulx3s-85f", "board_info": board_info("ulx3s-85f").to_dict()}
    conv = {"method_used": "qcfs", "total_steps": 2}
    ev = {"snn_top1_pct": 90.0, "test_images": 360, "energy_nj": 1.0}
    hw = {"lanes": {"fc": 2}, "taps": {"fc": 1}, "write_register": True}
    hw |= {"latency_cycles": 1000, "interval_cycles": 500}
    used = {"LUT": 10, "FF": 10, "BRAM_18K": 1, "DSP": 0, "how": "nextpnr-ecp5 post-route"}
    met = point_record(s, conv, ev, hw, None, {**used, "fmax_mhz": 80.0, "clock_met": True})
    assert (met["clock_mhz"], met["clock_from"], met["latency_us"]) == (25.0, "board", 40.0)
    missed = point_record(s, conv, ev, hw, None, {**used, "fmax_mhz": 20.0, "clock_met": False})
    assert missed["clock_mhz"] == 20.0 and missed["latency_us"] == 50.0
    assert missed["clock_from"] == "nextpnr fmax (board clock 25 MHz missed)"
    assert missed["images_per_s"] == 40000.0 and missed["clock_met"] is False
