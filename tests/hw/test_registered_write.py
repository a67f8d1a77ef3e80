"""``fpgasnn build --registered-write``: the project records it, its Verilog core and every later
step (rtlsim, csim, report) take it from project.json, and its cycle model counts the extra cycle."""

from __future__ import annotations

import json

from fpgasnn.backends.hls.project import project_config
from fpgasnn.backends.rtl.cycles import estimate
from fpgasnn.cli import main
from fpgasnn.hw import HwConfig, lower
from fpgasnn.hw.stimulus import random_images
from fpgasnn.ir.examples import tiny
from fpgasnn.ir.serialize import dumps


def _build(tmp_path, name, *extra):
    snn = tmp_path / "tiny.snn"
    snn.write_bytes(dumps(tiny()))
    prj = tmp_path / name
    assert main(["build", str(snn), "-o", str(prj), "--lanes", "4", *extra]) == 0
    return prj


def test_the_project_records_it_and_the_core_has_it(tmp_path, capsys):
    plain = _build(tmp_path, "plain")
    assert "registered write" not in capsys.readouterr().out
    prj = _build(tmp_path, "wreg", "--registered-write")
    assert "taps auto, registered write: conv1 4 lanes" in capsys.readouterr().out
    doc = json.loads((prj / "project.json").read_text())
    assert doc["write_register"] is True
    assert json.loads((plain / "project.json").read_text())["write_register"] is False
    assert project_config(doc).write_register
    top = (prj / "rtl" / "snn_top.v").read_text()
    assert top.count(".WREG(1)") == 2 and ".WREG(0)" not in top
    assert (plain / "rtl" / "snn_top.v").read_text().count(".WREG(0)") == 2
    # only the core differs: the HLS C++ is the same
    for f in doc["hls"]["files"]:
        assert (prj / f).read_bytes() == (plain / f).read_bytes(), f


def test_an_older_project_without_the_key_is_a_plain_core():
    assert not project_config({"lanes": {"conv1": 4, "fc": 4}, "taps": 1}).write_register


def test_each_scatter_pass_takes_one_cycle_more():
    net = tiny()
    x = random_images(net, 5, 1)
    base = estimate(lower(net, HwConfig.make(4, taps=1)), x)
    wreg = estimate(lower(net, HwConfig.make(4, taps=1, write_register=True)), x)
    # conv1 spikes at every step of these images (T = 4), so the dense layer scatters 4 times an
    # image: 4 cycles more there
    assert ((wreg.stage_cycles[:, 1] - base.stage_cycles[:, 1]) == 4).all()
    assert (wreg.alone > base.alone).all() and (wreg.alone - base.alone <= 5).all()


def test_a_fitted_core_is_costed_and_timed_with_its_registered_write():
    """``--lanes fit`` with ``--registered-write``: the search estimates the core it builds (the
    registered write's LUTs and cycles counted), not the plain one."""
    from fpgasnn.backends.rtl.context import build_context
    from fpgasnn.backends.rtl.estimate import estimate as resources
    from fpgasnn.flow import lower_for_board

    net = tiny()
    (plain, pf), (wreg, wf) = (
        lower_for_board(net, "fit90", "pynq-z2", taps=1, write_register=w) for w in (False, True)
    )
    assert wreg.write_register and not plain.write_register
    assert wf.estimate == resources(build_context(wreg))
    # the tiny net takes its fastest setting either way: the registered write's cost comes on top
    assert (wreg.lanes, wreg.taps) == (plain.lanes, plain.taps)
    assert wf.estimate.LUT > pf.estimate.LUT and wf.estimate.FF > pf.estimate.FF
    assert wf.latency_cycles > pf.latency_cycles
