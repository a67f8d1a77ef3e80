"""Dual-phase (two-stage) optimization, Stage II (Stage I, noisy QAT, is the Keras layer's noise_p).

(a) per-neuron ``v0 += T * (E[ANN] - E[SNN rate])`` (threshold units) layer by layer on calibration data;
(b) layer-wise fine-tuning of weights and v0 through the T steps (:mod:`fpgasnn.calibrate.bptt`, when
    present; not implemented yet, so (b) is skipped and (c) is a second round of (a));
(c) redo (a); keep the best candidate by calibration accuracy (ties: the earlier, simpler one).
"""

from __future__ import annotations

from fpgasnn.calibrate.common import calibrate_v0_layerwise, run
from fpgasnn.calibrate.method import Method, calib_data, calibration_pass
from fpgasnn.convert.passes import ConvertContext
from fpgasnn.convert.snnspec import SnnSpec
from fpgasnn.ir.nodes import NeuronKind


def stage2(spec: SnnSpec, ctx: ConvertContext) -> SnnSpec:
    data = calib_data(spec, ctx)
    cands = [spec]
    a = calibrate_v0_layerwise(spec, data)
    cands.append(a)
    try:
        from fpgasnn.calibrate.bptt import finetune_bptt
    except ImportError:  # pragma: no cover - optional step
        finetune_bptt = None
    b = finetune_bptt(a, data, seed=ctx.seed) if finetune_bptt is not None else a
    cands.append(calibrate_v0_layerwise(b, data))
    scores = [data.score(run(c, data.images)) for c in cands]
    best = max(range(len(cands)), key=lambda k: (scores[k], -k))
    ctx.settings["twostage_candidate_scores"] = [round(s, 5) for s in scores]
    ctx.settings["twostage_chosen"] = ["none", "a", "a+b+c" if finetune_bptt else "a+c"][best]
    return cands[best]


METHOD = Method("twostage", NeuronKind.IF, "two-stage Stage II: v0 calibration, fine-tuning, recalibration",
                passes=(calibration_pass("stage2", stage2, "(a) v0 calibration, (b) fine-tune, (c) redo (a)"),))
SIGNED = Method("twostage_signed", NeuronKind.SIGNED_IF, "signed IF + two-stage Stage II",
                passes=METHOD.passes)
