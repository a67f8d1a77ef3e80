"""``best`` per T and the two-stage early stop when the SNN already is the quantized ANN."""

from __future__ import annotations

import numpy as np

from fpgasnn.calibrate import (
    BEST,
    BEST_BY_T,
    BEST_MATCHED,
    METHODS,
    best_for,
    get_method,
    network_levels,
)
from fpgasnn.calibrate.common import CalibData, exact, rounded_weight_ann
from fpgasnn.calibrate.twostage import stage2
from fpgasnn.convert.analysis import ann_levels
from fpgasnn.convert.examples import random_images, tiny_floatnet
from fpgasnn.convert.pipeline import convert, make_context
from fpgasnn.convert.snnspec import fold_scales
from fpgasnn.golden.simulate import simulate
from fpgasnn.ir.nodes import NeuronKind, Schedule


def test_best_resolves_per_T_and_levels_to_a_known_method():
    assert BEST in METHODS
    assert all(m in METHODS for m in (*BEST_BY_T.values(), *BEST_MATCHED.values()))
    for T in (1, 2, 3, 4, 8, 16):
        assert get_method("best", T).name == BEST_BY_T.get(T, BEST) == best_for(T)
        assert best_for(T, T) == BEST_MATCHED.get(T, BEST_BY_T.get(T, BEST))
    assert get_method("best").name == BEST and get_method("best").needs_calibration


def test_convert_records_the_method_best_stood_for(monkeypatch):
    import fpgasnn.calibrate as cal

    monkeypatch.setattr(cal, "BEST_MATCHED", {1: "qcfs"})
    monkeypatch.setattr(cal, "BEST_BY_T", {1: "snncal_light", 2: "snncal_adv"})
    cx = random_images(32, seed=7)
    got = [
        convert(tiny_floatnet(5, levels=L), T=T, method="best", calib=cx).meta
        for L, T in ((1, 1), (4, 1), (4, 2), (2, 2))
    ]
    assert [m["method"] for m in got] == ["qcfs", "snncal_light", "snncal_adv", "snncal_adv"]
    assert best_for(3, 4) == best_for(3, 3) == BEST
    assert {m["method_requested"] for m in got} == {"best"}
    assert network_levels(tiny_floatnet(0, levels=3)) == 3


def test_a_network_trained_for_T_equal_1_converts_exactly_and_stage2_stops_early():
    # L = T = 1: each hidden neuron fires once iff its ANN pre-activation reaches lam / 2, in one step,
    # so the golden counts are the ANN's levels on every image and Stage II has nothing to fix.
    fnet = tiny_floatnet(2, levels=1)
    x = random_images(200, seed=3)
    spec = fold_scales(fnet, kind=NeuronKind.SIGNED_IF, schedule=Schedule(1))
    assert exact(spec, fnet, x)
    ctx = make_context(fnet, 1, get_method("twostage_signed"), calib=x)
    assert stage2(spec, ctx) is spec
    assert ctx.settings["twostage_chosen"].startswith("none (exact")
    # the same network at T = 2 is not exact (its ANN for T = 2 has two levels), and Stage II runs
    spec2 = fold_scales(fnet, kind=NeuronKind.SIGNED_IF, schedule=Schedule(2))
    assert not exact(spec2, fnet, x)


def test_exact_compares_with_the_rounded_weight_ann():
    fnet = tiny_floatnet(2, levels=1)
    x = random_images(50, seed=4)
    spec = fold_scales(fnet, schedule=Schedule(1))
    lv = ann_levels(rounded_weight_ann(spec, fnet), x, 1)
    res = simulate(convert(fnet, T=1, method="qcfs", res_target_bits=0), x)
    for name, level in lv.items():
        np.testing.assert_array_equal(res.counts[name], level)
    # one neuron's initial membrane moved by a threshold: it fires where the ANN says 0
    moved = spec.with_stage(0, v0=np.full((4, 8, 8), spec.stages[0].v0 + spec.stages[0].theta))
    assert not exact(moved, fnet, x)
    near = CalibData.build(spec, fnet, x).levels  # the integer-weight ANN's: thresholds rounded
    assert exact(spec, fnet, x, near=near) and not exact(moved, fnet, x, near=near)
