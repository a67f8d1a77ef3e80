"""The cocotb bench of the self-test top (run by :func:`fpgasnn.pnr.selftest.simulate_selftest`):
clock, button released, then wait for the done LED; the LED value and the cycles it took are written
to the JSON file named in ``FPGASNN_SELFTEST_CONFIG`` (keys ``out``, ``max_cycles`` and the top's
parameters)."""

from __future__ import annotations

import json
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import Edge, First, ReadOnly, RisingEdge, Timer
from cocotb.utils import get_sim_time

PERIOD_NS = 10
POLL_CYCLES = 4096


def _read_json(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def _write_json(path: str, doc: dict) -> None:
    with open(path, "w") as f:
        json.dump(doc, f)


@cocotb.test()
async def selftest_lights_its_leds(dut) -> None:
    cfg = _read_json(os.environ["FPGASNN_SELFTEST_CONFIG"])
    mask = (1 << int(cfg["LED_W"])) - 1
    invert = mask if int(cfg["LED_ACTIVE_LOW"]) else 0
    dut.btn.value = 1 if int(cfg["BTN_ACTIVE_LOW"]) else 0  # released
    cocotb.start_soon(Clock(dut.clk, PERIOD_NS, unit="ns").start())
    await RisingEdge(dut.clk)
    done, leds = False, 0
    while int(get_sim_time("ns")) // PERIOD_NS < int(cfg["max_cycles"]):
        await First(Edge(dut.led), Timer(POLL_CYCLES * PERIOD_NS, unit="ns"))
        await ReadOnly()
        leds = int(dut.led.value)
        if (leds ^ invert) & 2:
            done = True
            break
        await RisingEdge(dut.clk)
    _write_json(
        cfg["out"], {"led": leds, "done": done, "cycles": int(get_sim_time("ns")) // PERIOD_NS}
    )
