"""Board data files and their loader."""

from __future__ import annotations

import pytest

from fpgasnn.boards import RESOURCE_KEYS, list_boards, load_board
from fpgasnn.errors import BackendError

REQUIRED = ["alveo-u250", "arty-a7-100t", "kv260", "pynq-z2", "ultra96v2", "zcu102", "zcu104"]


def test_all_required_boards_exist():
    assert set(REQUIRED) <= set(list_boards())


@pytest.mark.parametrize("name", REQUIRED)
def test_board_fields(name):
    b = load_board(name)
    assert b.name == name
    assert b.part and b.board_part and b.clock_mhz > 0
    assert b.family in ("zynq7000", "artix7", "zynqmp", "alveo")
    assert b.yosys_family == ("xc7" if b.family in ("zynq7000", "artix7") else "xcup")
    assert set(b.resources) == set(RESOURCE_KEYS)
    assert b.resources["LUT"] > 10000 and b.resources["DSP"] > 0
    assert b.is_zynq == (b.family in ("zynq7000", "zynqmp"))


def test_known_values():
    b = load_board("pynq-z2")
    assert (b.part, b.clock_mhz, b.resources["BRAM_18K"], b.resources["DSP"]) == (
        "xc7z020clg400-1",
        100,
        280,
        220,
    )
    assert load_board("zcu104").resources["URAM"] == 96


def test_unknown_board_lists_known_ones():
    with pytest.raises(BackendError) as e:
        load_board("de10-nano")
    assert str(e.value) == "unknown board 'de10-nano'; known boards: " + ", ".join(list_boards())
