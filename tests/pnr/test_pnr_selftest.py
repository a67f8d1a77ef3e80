"""The board self-test top: its plan (ROMs from the golden model), its LEDs on Verilator (every
class right; one wrong class in the ROM is caught), and (slow) its place and route with every
port on a pin of the ULX3S."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import need
from fpgasnn.backends.rtl.emit import rtl_plan
from fpgasnn.boards import load_ecp5_board
from fpgasnn.errors import BackendError
from fpgasnn.golden import simulate
from fpgasnn.ir.examples import tiny
from fpgasnn.pnr.selftest import (
    CLASSES_FILE,
    IMAGES_FILE,
    board_leds,
    board_selftest_plan,
    core_input_width,
    expected_leds,
    pnr_selftest,
    selftest_plan,
    simulate_selftest,
)

NET = tiny(seed=5)  # a tiny net whose classes vary over these images (seed 0's are all 0)
IMAGES = np.random.default_rng(0).integers(0, 16, size=(8, 1, 8, 8))


def test_plan_holds_the_core_the_top_and_roms_from_the_golden_model():
    core = rtl_plan(NET, 4)
    st = selftest_plan(NET, core, IMAGES, leds=8)
    classes = simulate(NET, IMAGES).classes.tolist()
    assert list(st.classes) == classes and len(set(classes)) > 1
    assert {k: st.plan[k] for k in core} == core and "snn_selftest.v" in st.plan
    assert st.plan[CLASSES_FILE] == "".join(f"{c:02x}\n" for c in classes)
    words = [int(w, 16) for w in st.plan[IMAGES_FILE].split()]
    assert words == IMAGES.reshape(-1).tolist()
    in_w = core_input_width(core["snn_top.v"])
    assert st.params == {
        "N_IMG": 8,
        "PIX": 64,
        "IN_W": in_w,
        "LED_W": 8,
        "LED_ACTIVE_LOW": 0,
        "BTN_ACTIVE_LOW": 0,
    }


def test_signed_pixels_are_stored_in_twos_complement():
    from fpgasnn.ir.examples import random_network

    net = next(
        n for n in (random_network(s) for s in range(40)) if n.input.signed and n.input.bits == 8
    )
    x = np.full((1, *net.input.shape), -3)
    st = selftest_plan(net, rtl_plan(net, 2), x)
    assert st.plan[IMAGES_FILE].split()[0] == "fd"


def test_expected_leds():
    assert expected_leds(6, 6, 8) == 0b00011011
    assert expected_leds(6, 5, 8) == 0b00010110
    assert expected_leds(6, 6, 8, active_low=True) == 0b11100100
    assert expected_leds(6, 6, 3) == 0b011  # the count wraps modulo 2**(LEDs - 2)


def test_board_leds_and_polarity_come_from_the_board_files():
    assert [
        board_leds(load_ecp5_board(b)) for b in ("ulx3s-85f", "orangecrab-25f", "ecp5-evn")
    ] == [8, 3, 8]
    st = board_selftest_plan(NET, rtl_plan(NET, 4), IMAGES[:2], load_ecp5_board("ecp5-evn"))
    assert (st.params["LED_W"], st.params["LED_ACTIVE_LOW"], st.params["BTN_ACTIVE_LOW"]) == (
        8,
        1,
        1,
    )


@pytest.mark.parametrize(
    "images, message",
    [
        (
            np.zeros((0, 1, 8, 8), int),
            "self-test images must be (N, 1, 8, 8) with N >= 1, got shape (0, 1, 8, 8)",
        ),
        (
            np.zeros((2, 64), int),
            "self-test images must be (N, 1, 8, 8) with N >= 1, got shape (2, 64)",
        ),
        (np.zeros((256, 1, 8, 8), int), "a self-test holds at most 255 images, got 256"),
    ],
)
def test_bad_selftest_images(images, message):
    with pytest.raises(BackendError) as e:
        selftest_plan(NET, rtl_plan(NET, 4), images)
    assert str(e.value) == message


@pytest.mark.tool
def test_selftest_lights_pass_and_catches_a_wrong_class(tmp_path):
    need("verilator")
    st = selftest_plan(NET, rtl_plan(NET, 4), IMAGES, leds=8, led_active_low=True)
    good = simulate_selftest(st, tmp_path)
    assert good["done"] and good["led"] == expected_leds(8, 8, 8, active_low=True)
    wrong = list(st.classes)
    wrong[3] = (wrong[3] + 1) % NET.num_classes
    bad = simulate_selftest(st, tmp_path, classes=tuple(wrong))
    assert bad["done"] and bad["led"] == expected_leds(8, 7, 8, active_low=True)
    assert bad["cycles"] == good["cycles"]


@pytest.mark.tool
@pytest.mark.slow
def test_selftest_places_and_routes_on_the_board_pins(tmp_path):
    need("yosys", "nextpnr", "ecppack")
    board = load_ecp5_board("ulx3s-85f")
    st = board_selftest_plan(NET, rtl_plan(NET, 4), IMAGES, board)
    res = pnr_selftest(st, board, tmp_path / "st")
    assert res.top == "snn_selftest" and res.clock_mhz == 25.0
    assert res.met, res.check()
    assert res.utilization["IO"]["used"] == 1 + 1 + 8  # clk, btn, 8 LEDs: nothing left unplaced
    assert (tmp_path / "st" / "snn_selftest.bit").stat().st_size == res.bitstream_bytes
