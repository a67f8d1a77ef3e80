"""Calibration data: ANN levels and logits from one forward pass."""

from __future__ import annotations

import numpy as np

from fpgasnn.calibrate.common import levels_and_logits
from fpgasnn.convert.analysis import ann_levels
from fpgasnn.convert.examples import random_images, tiny_floatnet


def test_levels_and_logits_equal_the_separate_passes():
    fnet = tiny_floatnet(3)
    x = random_images(700, seed=1)  # more than one chunk of 500
    levels, logits = levels_and_logits(fnet, x, 3)
    ref = ann_levels(fnet, x, 3)
    assert set(levels) == set(ref) == {"act1", "act2"}
    for name, lv in ref.items():
        assert levels[name].dtype == lv.dtype
        np.testing.assert_array_equal(levels[name], lv)
    assert levels["act1"].max() == 3  # the T = 3 quantizer, not the trained L = 4
    np.testing.assert_array_equal(
        logits, np.concatenate([fnet.forward(x[:500]), fnet.forward(x[500:])])
    )
