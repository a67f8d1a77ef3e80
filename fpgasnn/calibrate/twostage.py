"""Dual-phase (two-stage) optimization, Stage II (Stage I, noisy QAT, is the Keras layer's noise_p).

(a) per-neuron ``v0 += T * (E[ANN] - E[SNN rate])`` (threshold units) layer by layer on calibration data;
(b) layer-wise BPTT fine-tuning of weights and v0 through the T steps, surrogate gradient, KL loss to
    the ANN's softmax (:mod:`fpgasnn.calibrate.bptt`; a stage's update is kept only if it helps);
(c) redo (a); keep the best candidate (none, a, a+b, a+b+c) by golden calibration accuracy, ties
    broken by the lower KL loss to the ANN, then by the earlier, simpler candidate: Stage II never
    lowers the calibration accuracy.

When the uncalibrated SNN's spike counts already equal the ANN levels on every calibration image (a
network trained with L = T levels run at T = 1, say), Stage II stops there: it keeps the network as is.
"""

from __future__ import annotations

import time

from fpgasnn.calibrate.bptt import finetune_bptt, golden_eval
from fpgasnn.calibrate.common import calibrate_v0_layerwise, exact
from fpgasnn.calibrate.method import Method, calib_data, calibration_pass
from fpgasnn.convert.passes import ConvertContext
from fpgasnn.convert.snnspec import SnnSpec
from fpgasnn.ir.nodes import NeuronKind

CANDIDATES = ("none", "a", "a+b", "a+b+c")


def stage2(spec: SnnSpec, ctx: ConvertContext) -> SnnSpec:
    data = calib_data(spec, ctx)
    if exact(spec, ctx.fnet, data.images, near=data.levels):
        ctx.settings["twostage_chosen"] = "none (exact: every spike count is the ANN level)"
        return spec
    t0 = time.perf_counter()
    a = calibrate_v0_layerwise(spec, data)
    t1 = time.perf_counter()
    log: list[dict] = []
    b = finetune_bptt(a, data, seed=ctx.seed, log=log)
    t2 = time.perf_counter()
    c = calibrate_v0_layerwise(b, data) if b is not a else b
    t3 = time.perf_counter()
    cands = [spec, a, b, c]
    evals = [golden_eval(x, data) for x in cands]
    for part, seconds in (
        ("a", t1 - t0),
        ("b", t2 - t1),
        ("c", t3 - t2),
        ("select", time.perf_counter() - t3),
    ):
        ctx.times[f"twostage:{part}"] = seconds  # -> meta pass_seconds, beside the pass's own time
    best = max(range(len(cands)), key=lambda k: (evals[k][0], -evals[k][1], -k))
    ctx.settings["twostage_candidate_scores"] = {
        n: round(e[0], 5) for n, e in zip(CANDIDATES, evals, strict=True)
    }
    ctx.settings["twostage_candidate_kl"] = {
        n: round(e[1], 6) for n, e in zip(CANDIDATES, evals, strict=True)
    }
    ctx.settings["twostage_chosen"] = CANDIDATES[best]
    ctx.settings["twostage_bptt"] = log
    return cands[best]


METHOD = Method(
    "twostage",
    NeuronKind.IF,
    "two-stage Stage II: v0 calibration, layer-wise BPTT fine-tuning, recalibration",
    passes=(
        calibration_pass("stage2", stage2, "(a) v0 calibration, (b) BPTT fine-tune, (c) redo (a)"),
    ),
)
SIGNED = Method(
    "twostage_signed", NeuronKind.SIGNED_IF, "signed IF + two-stage Stage II", passes=METHOD.passes
)
