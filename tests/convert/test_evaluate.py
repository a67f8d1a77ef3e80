from __future__ import annotations

import numpy as np
import pytest

from fpgasnn.convert.evaluate import evaluate_conversion
from fpgasnn.convert.examples import random_images, tiny_floatnet


def test_evaluation_record_has_the_acceptance_fields():
    fnet = tiny_floatnet(0)
    x = random_images(60, seed=1)
    y = np.argmax(fnet.forward(x), axis=1)  # labels = the quantized ANN's classes: ann_q = 100 %
    rec = evaluate_conversion(fnet, x, y, 4, "cos", dataset="toy")
    for key in (
        "dataset",
        "T",
        "ann_float_top1_pct",
        "ann_q_top1_pct",
        "snn_top1_pct",
        "gap_pp",
        "total_steps",
        "offbyone_pct",
        "calib_s",
        "snn_float_top1_pct",
        "float_int_agree_pct",
    ):
        assert key in rec
    assert rec["ann_q_top1_pct"] == 100.0
    assert rec["gap_pp"] == pytest.approx(100.0 - rec["snn_top1_pct"], abs=1e-3)
    assert (rec["T"], rec["total_steps"], rec["dataset"]) == (4, 8, "toy")
    assert [layer["name"] for layer in rec["layers"]] == ["act1", "act2"]
    # At T = L the first layer (constant input) matches the integer-weight ANN's level except where
    # integer rounding moves a tie: v0 = ceil(theta/2) for an odd theta (shift 0.5 + 1/(2 theta)) and
    # the rounded bias -- a few neurons in 10^4 at most, against percents in the hidden layers.
    assert rec["layers"][0]["offbyone_pct"] < 0.05
    assert 0.0 < rec["layers"][0]["spike_rate"] < 1.0
