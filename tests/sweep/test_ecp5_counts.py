import pytest

from fpgasnn.errors import BackendError
from fpgasnn.sweep.synthesis import ecp5_counts


def test_ecp5_counts_every_lut_position_a_core_takes():
    cells = {
        "LUT4": 10,
        "CCU2C": 3,
        "TRELLIS_DPR16X4": 2,
        "TRELLIS_FF": 7,
        "DP16KD": 4,
        "PDPW16KD": 1,
        "MULT18X18D": 2,
        "PFUMX": 5,
    }
    # LUT: 10 + 2 x 3 (a carry cell is two LUT4) + 6 x 2 (a 16 x 4 RAM takes three slices)
    assert ecp5_counts(cells) == {"LUT": 28, "FF": 7, "BRAM_18K": 5, "DSP": 2}
    with pytest.raises(BackendError, match="latches"):
        ecp5_counts({"$_DLATCH_P_": 1})
