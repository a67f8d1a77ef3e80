from __future__ import annotations

import numpy as np
import pytest

from fpgasnn.calibrate import METHODS, get_method
from fpgasnn.calibrate.common import (
    CalibData,
    calibrate_bias_layerwise,
    calibrate_v0_layerwise,
    pick_calibration,
    run,
)
from fpgasnn.calibrate.cos import static_shift
from fpgasnn.calibrate.fastsnn import finetune, layer_mse
from fpgasnn.convert.examples import random_images, single_neuron, tiny_floatnet
from fpgasnn.convert.pipeline import convert, make_context
from fpgasnn.convert.snnspec import fold_scales, integerize
from fpgasnn.errors import DataError, FpgasnnError
from fpgasnn.golden.simulate import simulate
from fpgasnn.ir.network import networks_equal
from fpgasnn.ir.nodes import NeuronKind, Schedule


def _one_neuron(weight: float, pixel: int, T: int, v0_in_thetas: float):
    fnet = single_neuron(weight, levels=T)
    spec = fold_scales(fnet, schedule=Schedule(T))
    spec = spec.with_stage(0, v0=v0_in_thetas * spec.stages[0].theta)
    x = np.array([[pixel]], dtype=np.uint8)
    return fnet, spec, x


def test_owed_spike_is_paid_after_v0_calibration():
    # z = 0.251 lam, T = L = 2: ANN level floor(0.502 + 0.5) = 1; with v0 = 0 the SNN reaches only
    # 0.502 theta in two steps: it owes one spike. Calibration moves v0 by exactly one threshold.
    fnet, spec, x = _one_neuron(1.0, 64, 2, 0.0)
    data = CalibData.build(spec, fnet, x)
    assert data.levels["act1"][0, 0] == 1
    assert run(spec, x).counts["act1"][0, 0] == 0
    cal = calibrate_v0_layerwise(spec, data)
    assert cal.stages[0].v0[0] == pytest.approx(spec.stages[0].theta)
    assert run(cal, x).counts["act1"][0, 0] == 1


def test_extra_spike_is_taken_back_after_v0_calibration():
    # z = 0.1 lam: level 0; with v0 = theta the neuron fires at once. Calibration: v0 -> 0.
    fnet, spec, x = _one_neuron(1.0, 26, 2, 1.0)
    data = CalibData.build(spec, fnet, x)
    assert (data.levels["act1"][0, 0], run(spec, x).counts["act1"][0, 0]) == (0, 1)
    cal = calibrate_v0_layerwise(spec, data)
    assert cal.stages[0].v0[0] == pytest.approx(0.0)
    assert run(cal, x).counts["act1"][0, 0] == 0


def test_light_calibration_shifts_the_channel_bias():
    # Owed spike again; the per-channel bias grows by theta * 1 / T and the spike is paid.
    fnet, spec, x = _one_neuron(1.0, 64, 2, 0.0)
    data = CalibData.build(spec, fnet, x)
    cal = calibrate_bias_layerwise(spec, data)
    assert cal.stages[0].bias[0] == pytest.approx(spec.stages[0].theta / 2)
    assert run(cal, x).counts["act1"][0, 0] == 1


def test_cos_static_moves_v0_down_one_threshold_for_a_spike_too_many():
    # z = -0.302 lam, v0 = 2 theta, T = L = 4: one spike at step 1, then v goes negative (v < 0, N = 1):
    # one spike too many. The static COS shift moves v0 by -theta and the count becomes the level 0.
    fnet, spec, x = _one_neuron(-1.0, 77, 4, 2.0)
    assert run(spec, x).counts["act1"][0, 0] == 1
    ctx = make_context(fnet, 4, get_method("cos_static"), calib=x)
    cal = static_shift(spec, ctx)
    assert cal.stages[0].v0[0] == pytest.approx(spec.stages[0].theta)
    assert run(cal, x).counts["act1"][0, 0] == 0
    # COS as the authors run it: the same correction at run time, after rho = T presim steps.
    net = integerize(spec).with_schedule(Schedule(4, presim=4))
    assert simulate(net, x).counts["act1"][0, 0] == 0


def test_cos_counts_presim_steps_in_the_latency():
    net = convert(tiny_floatnet(0), T=3, method="cos")
    assert (net.schedule.presim, net.schedule.wake, net.schedule.total) == (3, 3, 6)
    assert net.meta["total_steps"] == 6


def test_casc_uses_consistent_neurons_and_sleep_steps():
    net = convert(tiny_floatnet(0, shift=0.0), T=2, method="casc")
    assert {n.kind for n in net.neurons()} == {NeuronKind.CONSISTENT_IF}
    assert all(n.v0 == 0 for n in net.neurons())  # floor quantizer: v0 = 0
    assert (net.schedule.sleep, net.schedule.total) == (2, 4)
    simulate(net, random_images(8), check_ranges=True)


def test_fastsnn_finetuning_never_makes_a_layer_worse():
    fnet = tiny_floatnet(3)
    x = random_images(64, seed=1)
    ctx = make_context(fnet, 2, get_method("fastsnn"), calib=x)
    spec = fold_scales(fnet, kind=NeuronKind.SIGNED_IF, schedule=Schedule(2))
    before = layer_mse(spec, CalibData.build(spec, fnet, x), "act2")
    tuned = finetune(spec, ctx)
    after = layer_mse(tuned, ctx.calib, "act2")
    assert after <= before
    assert tuned.stages[0] is spec.stages[0]  # layer 1 is never fine-tuned


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_method_ends_in_an_integer_network_the_golden_model_runs(name):
    fnet = tiny_floatnet(5)
    cx = random_images(32, seed=7)
    net = convert(fnet, T=2, method=name, calib=cx)
    assert net.meta["method"] == name and "calib_s" in net.meta
    assert {n.kind for n in net.neurons()} == {METHODS[name].kind}
    res = simulate(net, random_images(16, seed=8), check_ranges=True)
    assert res.scores.shape == (16, 10)


def test_calibration_is_deterministic_for_a_seed():
    imgs = random_images(100, seed=2)
    a, _ = pick_calibration(imgs, None, 20, seed=4)
    b, _ = pick_calibration(imgs, None, 20, seed=4)
    c, _ = pick_calibration(imgs, None, 20, seed=5)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    fnet = tiny_floatnet(6)
    n1 = convert(fnet, T=2, method="twostage", calib=a)
    n2 = convert(fnet, T=2, method="twostage", calib=b)
    strip = {"calib_s": 0, "calib_cpu_s": 0, "pass_seconds": {}}
    assert networks_equal(n1.with_meta(**strip), n2.with_meta(**strip))


def test_errors_name_the_problem():
    with pytest.raises(FpgasnnError, match="unknown conversion method 'nope'; known: best, qcfs"):
        get_method("nope")
    with pytest.raises(DataError, match="calibrates on data"):
        convert(tiny_floatnet(0), T=2, method="snncal_adv")
