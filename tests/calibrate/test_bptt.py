"""Dual-phase Stage II (b): layer-wise BPTT fine-tuning (fpgasnn.calibrate.bptt)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from fpgasnn.calibrate import get_method
from fpgasnn.calibrate.bptt import BpttSettings, finetune_bptt, finetune_stage, golden_eval, kl_loss
from fpgasnn.calibrate.common import CalibData, calibrate_v0_layerwise, run
from fpgasnn.calibrate.twostage import stage2
from fpgasnn.convert.examples import random_images, single_neuron, tiny_floatnet
from fpgasnn.convert.pipeline import make_context
from fpgasnn.convert.snnspec import fold_scales
from fpgasnn.ir.nodes import NeuronKind, Schedule

SMALL = BpttSettings(epochs=2, batch=64, max_images=256)


def _case(T: int = 2, kind: NeuronKind = NeuronKind.IF, seed: int = 11):
    fnet = tiny_floatnet(seed)
    spec = fold_scales(fnet, kind=kind, schedule=Schedule(T))
    x = random_images(256, seed=seed + 1)
    return fnet, spec, CalibData.build(spec, fnet, x)


def test_kl_loss_is_zero_for_equal_outputs_and_positive_otherwise():
    z = np.array([[1.0, 2.0, -1.0], [0.0, 0.0, 3.0]])
    assert kl_loss(z, z) == pytest.approx(0.0, abs=1e-12)
    assert kl_loss(z, z + 5.0) == pytest.approx(0.0, abs=1e-12)  # softmax is shift-invariant
    assert kl_loss(z, z[:, ::-1]) > 0.1


def test_bptt_pays_owed_spikes_by_raising_v0():
    # One neuron, T = L = 2, v0 = 0 instead of theta/2: it owes a spike for half the pixel values. BPTT
    # through the two steps (surrogate gradient, KL to the ANN's softmax) raises v0 towards theta/2, the
    # training loss falls every epoch and the golden KL loss falls; the weight stays at the 8-bit limit.
    fnet = single_neuron(3.0, levels=2)
    spec = fold_scales(fnet, schedule=Schedule(2)).with_stage(0, v0=0.0)
    x = np.arange(0, 256, dtype=np.uint8)[:, None]
    data = CalibData.build(spec, fnet, x)
    history: list[float] = []
    out = finetune_stage(
        spec,
        0,
        x,
        data.ann_logits,
        seed=0,
        settings=BpttSettings(epochs=6, batch=64),
        history=history,
    )
    theta = spec.stages[0].theta
    assert 0.1 < float(out.stages[0].v0[0]) / theta <= 0.5
    assert all(b < a for a, b in itertools.pairwise(history))
    assert golden_eval(out, data)[1] < 0.6 * golden_eval(spec, data)[1]
    assert np.rint(out.stages[0].weight).tolist() == [[127.0]]
    assert out.stages[1] is spec.stages[1]


@pytest.mark.parametrize("kind", [NeuronKind.IF, NeuronKind.SIGNED_IF])
def test_bptt_never_lowers_calibration_accuracy_and_is_deterministic(kind):
    _, spec, data = _case(kind=kind)
    a = calibrate_v0_layerwise(spec, data)
    log: list[dict] = []
    b = finetune_bptt(a, data, seed=3, settings=SMALL, log=log)
    b2 = finetune_bptt(a, data, seed=3, settings=SMALL)
    assert len(log) == 2 and all(set(e) >= {"stage", "acc_after", "kept"} for e in log)
    acc_a, acc_b = data.score(run(a, data.images)), data.score(run(b, data.images))
    assert acc_b >= acc_a
    if not any(e["kept"] for e in log):
        assert b is a
    for s1, s2 in zip(b.stages, b2.stages, strict=True):
        np.testing.assert_array_equal(s1.weight, s2.weight)
        np.testing.assert_array_equal(np.asarray(s1.v0), np.asarray(s2.v0))


def test_unsupported_schedules_are_left_unchanged():
    _, spec, data = _case()
    from dataclasses import replace

    sleepy = replace(spec, schedule=Schedule(2, sleep=1))
    assert finetune_bptt(sleepy, data, settings=SMALL) is sleepy


def test_twostage_keeps_the_best_candidate_and_logs_it():
    fnet, spec, data = _case(T=1)
    ctx = make_context(fnet, 1, get_method("twostage"), calib=data.images)
    out = stage2(spec, ctx)
    scores = ctx.settings["twostage_candidate_scores"]
    assert set(scores) == {"none", "a", "a+b", "a+b+c"}
    assert ctx.settings["twostage_chosen"] in scores
    got = ctx.calib.score(run(out, data.images))
    assert got == pytest.approx(max(scores.values()), abs=1e-5)
    assert got >= scores["none"] and got >= scores["a"]
