"""The da4ml adder graph of one layer computes exactly the fixed-point arithmetic it stands for."""

from __future__ import annotations

import numpy as np
import pytest

from fpgasnn.baselines.da4ml_ann import CmvmLayer, FixedFormat, check, trace
from fpgasnn.baselines.yosys_synth import resources_from_stat


@pytest.mark.parametrize("act", [None, FixedFormat(1, 2)])
def test_adder_graph_equals_exact_arithmetic(act):
    pytest.importorskip("da4ml")
    rng = np.random.default_rng(3)
    w = rng.integers(-128, 128, size=(12, 5)) / 128.0
    b = rng.integers(-128, 128, size=5) / 128.0
    layer = CmvmLayer("fc", w, b, FixedFormat(1, 4), act)
    t = trace(layer, {"search_all_decompose_dc": False})
    x = rng.integers(0, 32, size=(500, 12)) / 16.0
    assert check(t, x) == 1.0
    assert t.cost > 0
    if act is not None:
        out = layer.reference(x)
        assert out.min() >= 0 and out.max() <= 1.75 and np.all(out * 4 == np.round(out * 4))


def test_reference_rounds_half_up_and_saturates():
    layer = CmvmLayer("d", np.array([[1.0]]), np.array([0.0]), FixedFormat(1, 4), FixedFormat(1, 2))
    x = np.array([[0.125], [0.0625], [-0.5], [1.9375], [0.375]])
    np.testing.assert_array_equal(layer.reference(x)[:, 0], [0.25, 0.0, 0.0, 1.75, 0.5])


def test_resources_from_stat_counts_like_the_snn_cores():
    cells = {
        "LUT2": 3,
        "LUT6": 2,
        "FDRE": 7,
        "FDSE": 1,
        "RAMB18E1": 1,
        "RAMB36E1": 2,
        "DSP48E1": 4,
        "CARRY4": 5,
        "INV": 9,
    }
    r = resources_from_stat(cells)
    assert (r.LUT, r.FF, r.BRAM_18K, r.DSP, r.CARRY4) == (5, 8, 5, 4, 5)


def test_csd_digits_count_the_shift_adds():
    pytest.importorskip("da4ml")
    from fpgasnn.baselines.da4ml_ann import csd_digits

    w = np.array([[3, 7, -5, 0, 127, -128]]).T / 128.0  # CSD: 4-1, 8-1, -4-1, 0, 128-1, -128
    layer = CmvmLayer("d", w, np.zeros(1), FixedFormat(0, 8), None)
    assert csd_digits(layer) == 9
