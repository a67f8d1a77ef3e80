from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from fpgasnn.calibrate import get_method
from fpgasnn.convert.analysis import ann_levels
from fpgasnn.convert.examples import random_images, single_neuron, tiny_floatnet
from fpgasnn.convert.floatsim import simulate_float
from fpgasnn.convert.passes import CHECK_FLOATNET, Pass, check_stage
from fpgasnn.convert.pipeline import build_pipeline, convert, make_context, run_pipeline
from fpgasnn.convert.snnspec import (
    RES_MAX_BITS,
    RES_TARGET_BITS,
    choose_res_bits,
    fold_scales,
    int_theta,
    integer_weight_ann,
    integerize,
    rounded,
)
from fpgasnn.errors import IRError
from fpgasnn.golden.simulate import simulate
from fpgasnn.ir.nodes import Dense, Neuron, NeuronKind, Output, Schedule


def test_qcfs_network_shape_and_scales():
    fnet = tiny_floatnet(0)
    net = convert(fnet, T=4)
    names = [n.name for n in net.nodes]
    assert names == [
        "image",
        "conv1",
        "act1",
        "pool1",
        "flatten",
        "fc2",
        "act2",
        "logits",
        "output",
    ]
    shifts = net.meta["res_bits"]
    for st in net.stages():
        assert int(np.abs(st.synapse.weight).max()) == 127 << shifts.get(st.synapse.name, 0)
    for n in net.neurons():
        assert n.kind is NeuronKind.IF
        assert abs(n.v0 - n.theta / 2) <= 0.5
        assert n.membrane_bits is not None
    assert isinstance(net.nodes[-1], Output) and net.nodes[-1].acc_bits is not None
    assert net.schedule == Schedule(4)
    assert net.meta["method"] == "qcfs" and net.meta["T"] == 4 and net.meta["weight_bits"] == 8
    assert net.meta["source"] == "tiny_floatnet(seed=0)"


def test_weight_bits_option():
    net = convert(tiny_floatnet(0), T=2, weight_bits=4)
    shifts = net.meta["res_bits"]
    assert (
        max(
            int(np.abs(st.synapse.weight).max()) >> shifts.get(st.synapse.name, 0)
            for st in net.stages()
        )
        == 7
    )


def test_avgpool_folds_exactly_into_the_next_layer():
    # The pool is a window SUM in the IR: fc2's weights carry the 1/4 (one summed unit = lam1 / 4).
    fnet = tiny_floatnet(1)
    spec = fold_scales(fnet)
    fc2 = spec.stages[1]
    assert fc2.unit_in == pytest.approx(1.0 / 4.0)
    np.testing.assert_allclose(fc2.weight * fc2.scale, fnet.layers[5].weight * 0.25)


def test_first_layer_counts_equal_the_ann_level_at_T_equal_L():
    # Constant input current, v0 = theta/2: spike count over T = L steps == the QCFS level, exactly.
    fnet = tiny_floatnet(2, levels=4)
    x = random_images(40, seed=3)
    spec = fold_scales(fnet, schedule=Schedule(4))
    res = simulate(integerize(spec), x)
    lv = ann_levels(integer_weight_ann(spec, fnet), x, 4)
    np.testing.assert_array_equal(res.counts["act1"], lv["act1"])
    assert 0 < lv["act1"].mean() < 4


@pytest.mark.parametrize("refine", [False, True])
@pytest.mark.parametrize("kind", list(NeuronKind))
@pytest.mark.parametrize("sched", [Schedule(3), Schedule(2, presim=2), Schedule(2, sleep=2)])
def test_float_simulation_of_rounded_spec_equals_golden(kind, sched, refine):
    # rounded() is the integer network as floats, also at resolution bits k (weights rint(w) * 2**k,
    # bias/threshold/v0 rounded after scaling by 2**k)
    fnet = tiny_floatnet(4)
    spec = fold_scales(fnet, kind=kind, schedule=sched)
    if refine:
        spec = choose_res_bits(spec)
        assert any(st.res_bits > 0 for st in spec.stages)
        for st, ist in zip(spec.stages, integerize(spec).stages(), strict=False):
            np.testing.assert_array_equal(
                ist.synapse.weight, np.rint(st.weight).astype(np.int64) << st.res_bits
            )
    x = random_images(24, seed=5)
    res = simulate(integerize(spec), x)
    f = simulate_float(rounded(spec), x)
    np.testing.assert_array_equal(f.scores, res.scores)
    for k in res.counts:
        np.testing.assert_array_equal(f.counts[k], res.counts[k])


def test_integer_weight_ann_matches_the_integer_network_at_T_equal_L():
    # Single layer, constant input: the SNN's output equals T * the integer-weight ANN's logits (scaled).
    fnet = single_neuron(3.0, levels=4)
    x = np.arange(0, 256, 5, dtype=np.uint8)[:, None]
    spec = fold_scales(fnet, schedule=Schedule(4))
    res = simulate(integerize(spec), x)
    lv = ann_levels(integer_weight_ann(spec, fnet), x, 4)
    np.testing.assert_array_equal(res.counts["act1"][:, 0], lv["act1"][:, 0])


def test_pipeline_is_a_readable_list_and_checks_each_pass():
    names = [p.name for p in build_pipeline(get_method("qcfs"))]
    assert names == [
        "check_floatnet",
        "fold_scales",
        "schedule",
        "resolution",
        "integerize",
        "annotate_widths",
        "record_meta",
    ]
    bad = Pass("broken", "floatnet", "snnspec", lambda obj, ctx: obj)
    with pytest.raises(IRError, match="should produce a Network, got int"):
        check_stage("network", 1, "x")
    with pytest.raises(IRError, match="pass 'broken' should produce a SnnSpec, got FloatNet"):
        run_pipeline([bad], tiny_floatnet(0), make_context(tiny_floatnet(0), 2, get_method("qcfs")))
    with pytest.raises(IRError, match="expects stage 'network'"):
        run_pipeline(
            [CHECK_FLOATNET, Pass("x", "network", "network", lambda o, c: o)],
            tiny_floatnet(0),
            make_context(tiny_floatnet(0), 2, get_method("qcfs")),
        )


def test_dense_first_layer_takes_integer_pixels():
    net = convert(single_neuron(2.0), T=2, res_target_bits=0)
    fc1 = net.nodes[1]
    assert isinstance(fc1, Dense) and fc1.weight.tolist() == [[127]]
    act = net.nodes[2]
    assert isinstance(act, Neuron)
    # theta = lam / c with c = 2/255/127: 1 / (2/255/127) = 16192.5 -> 16192 (round half to even)
    assert act.theta == 16192


@pytest.mark.parametrize("per_neuron_v0", [False, True])
@pytest.mark.parametrize("kind", list(NeuronKind))
def test_T1_integer_spikes_equal_the_float_simulation_exactly(kind, per_neuron_v0):
    # At T = 1 the whole decision is v0 + b + I >= theta with an integer current I: the rounding makes
    # theta_int - v0_int - b_int = ceil(theta - v0 - b), so every hidden spike equals the float one
    # (integer weights, unrounded bias/threshold/v0), also with thresholds too small for plain rounding.
    from dataclasses import replace

    from fpgasnn.convert.snnspec import weights_rounded

    spec = fold_scales(tiny_floatnet(6), kind=kind, schedule=Schedule(1))
    rng = np.random.default_rng(7)
    stages = []
    for st in spec.stages:
        if not st.is_output:
            st = replace(
                st, theta=st.theta / 37.0, bias=st.bias + rng.uniform(-0.5, 0.5, st.bias.shape)
            )
            if per_neuron_v0:
                shape = (4, 8, 8) if st.conv else (16,)
                st = replace(st, v0=st.theta * rng.uniform(0.2, 0.8, shape))
        stages.append(st)
    spec = replace(spec, stages=tuple(stages))
    x = random_images(200, seed=8)
    res = simulate(integerize(spec), x)
    f = simulate_float(weights_rounded(spec), x)
    for k in res.counts:
        assert res.counts[k].std() > 0
        np.testing.assert_array_equal(f.counts[k], res.counts[k])
    assert np.mean(f.classes == res.classes) >= 0.95  # only the output bias is rounded plainly
    net = integerize(spec)
    assert all(n.per_neuron_v0 == per_neuron_v0 for n in net.neurons())


def test_resolution_bits_bring_small_thresholds_to_the_target():
    spec = fold_scales(tiny_floatnet(4), schedule=Schedule(4))
    out = choose_res_bits(spec)
    for st in out.hidden():
        assert st.res_bits == max(0, int(np.ceil(RES_TARGET_BITS - np.log2(st.theta))))
        assert int_theta(st) >= 1 << RES_TARGET_BITS or st.res_bits == RES_MAX_BITS
    assert out.stages[-1].res_bits == 0
    # one bias-on step: the T = 1 rounding is exact already, nothing is refined
    assert all(
        st.res_bits == 0 for st in choose_res_bits(replace(spec, schedule=Schedule(1))).stages
    )


def test_refining_brings_the_integer_network_closer_to_the_float_one():
    # Per-neuron spike counts of the integer network against the float simulation (integer weights,
    # unrounded rest): resolution bits cut the mismatches; at 8 bits everywhere none are left here.
    from fpgasnn.convert.snnspec import weights_rounded

    x = random_images(500, seed=9)
    spec = fold_scales(tiny_floatnet(2), schedule=Schedule(4))
    ref = simulate_float(weights_rounded(spec), x)

    def mismatches(s):
        res = simulate(integerize(s), x)
        return sum(int(np.sum(res.counts[k] != ref.counts[k])) for k in res.counts)

    coarse, fine = mismatches(spec), mismatches(choose_res_bits(spec))
    assert coarse > 0 and fine < coarse
    finest = replace(
        spec, stages=tuple(replace(st, res_bits=0 if st.is_output else 8) for st in spec.stages)
    )
    assert mismatches(finest) == 0
