"""The cocotb test bench of a generated core (run by :mod:`fpgasnn.backends.rtl.sim` through cocotb's
Python runner). A driver streams the images on s_axis (optionally with idle cycles), a monitor samples
m_axis (optionally under back-pressure), the input handshakes and the debug spike port every cycle, and
everything observed is written to a JSON file; the caller checks it against the golden model and the
cycle model (:mod:`fpgasnn.backends.rtl.check`).

Configuration: the JSON file named by FPGASNN_RTL_CONFIG with ``images`` (flat pixel lists), ``ncls``,
``idle`` / ``backpressure`` (probabilities of an idle input cycle / tready low), ``seed``,
``reset_before`` (index of an image that is first abandoned half way by a reset, or -1),
``isolated`` (send each image only after the previous one's class beat), ``spikes``
(monitor the debug spike port every cycle), ``out``.
"""

from __future__ import annotations

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge
from cocotb.utils import get_sim_time

PERIOD_NS = 10


def now() -> int:
    """The current clock cycle (from the simulation time; the clock starts at time 0)."""
    return int(get_sim_time("ns")) // PERIOD_NS


class Monitor:
    """Samples m_axis (and, with ``spikes``, the debug spike port) in the ReadOnly phase of every cycle.

    Without ``spikes`` and back-pressure it sleeps until m_axis_tvalid rises (much faster)."""

    def __init__(
        self, dut, rng: random.Random, backpressure: float, spikes: bool, dbg_stages: list[int]
    ) -> None:
        self.dut, self.rng, self.bp, self.spikes = dut, rng, backpressure, spikes
        self.out_beats: list[list[int]] = []
        self.dbg: list[list[int]] = []
        self.epoch = 0  # resets seen after the first (a reset mid-stream starts epoch 1)
        self.ports = (
            [
                (
                    i,
                    getattr(dut, f"dbg{i}_valid"),
                    getattr(dut, f"dbg{i}_img"),
                    getattr(dut, f"dbg{i}_step"),
                    getattr(dut, f"dbg{i}_addr"),
                    getattr(dut, f"dbg{i}_pos"),
                    getattr(dut, f"dbg{i}_neg"),
                )
                for i in dbg_stages
            ]
            if spikes
            else []
        )

    def _sample_slots(self, i, cyc, valid, img, step, addr, pos, neg) -> None:
        """One record per valid slot of stage i's debug port (a port is as many slots wide as the
        stage's update handles words per cycle; slot 0 in the low bits)."""
        slots = len(valid)
        qa, lanes = len(addr) // slots, len(pos) // slots
        v = int(valid.value)
        a, p, n = int(addr.value), int(pos.value), int(neg.value)
        im, st = int(img.value), int(step.value)
        for k in range(slots):
            if v >> k & 1:
                self.dbg.append(
                    [
                        cyc,
                        self.epoch,
                        i,
                        im,
                        st,
                        a >> (k * qa) & ((1 << qa) - 1),
                        p >> (k * lanes) & ((1 << lanes) - 1),
                        n >> (k * lanes) & ((1 << lanes) - 1),
                    ]
                )

    async def run(self) -> None:
        dut = self.dut
        every_cycle = self.spikes or self.bp > 0
        while True:
            dut.m_axis_tready.value = 0 if self.rng.random() < self.bp else 1
            await ReadOnly()
            if not every_cycle and not int(dut.m_axis_tvalid.value):
                await RisingEdge(dut.m_axis_tvalid)
                await ReadOnly()
            if not int(dut.rst.value):
                cyc = now()
                if int(dut.m_axis_tvalid.value) and int(dut.m_axis_tready.value):
                    self.out_beats.append(
                        [cyc, dut.m_axis_tdata.value.to_signed(), int(dut.m_axis_tlast.value)]
                    )
                for i, valid, img, step, addr, pos, neg in self.ports:
                    if int(valid.value):
                        self._sample_slots(i, cyc, valid, img, step, addr, pos, neg)
            await RisingEdge(dut.clk)


class Driver:
    """Streams pixels on s_axis; a beat is sent at the clock edge where tvalid and tready are high."""

    def __init__(self, dut, rng: random.Random, idle: float) -> None:
        self.dut, self.rng, self.idle = dut, rng, idle
        self.mask = (1 << len(dut.s_axis_tdata)) - 1
        self.in_beats: list[int] = []

    async def send(self, pixels: list[int]) -> None:
        dut = self.dut
        i = 0
        while i < len(pixels):
            if self.idle and self.rng.random() < self.idle:
                dut.s_axis_tvalid.value = 0
            else:
                dut.s_axis_tvalid.value = 1
                dut.s_axis_tdata.value = pixels[i] & self.mask
                dut.s_axis_tlast.value = int(i == len(pixels) - 1)
            await ReadOnly()
            if int(dut.s_axis_tvalid.value) and not int(dut.s_axis_tready.value):
                await RisingEdge(dut.s_axis_tready)  # the core is busy: sleep until it is ready
                await ReadOnly()
            hs = int(dut.s_axis_tvalid.value) and int(dut.s_axis_tready.value)
            if hs:
                self.in_beats.append(now())
            await RisingEdge(dut.clk)
            if hs:
                i += 1
        dut.s_axis_tvalid.value = 0
        dut.s_axis_tlast.value = 0


def _read_json(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def _write_json(path: str, doc: dict) -> None:
    with open(path, "w") as f:
        json.dump(doc, f)


async def reset(dut, cycles: int = 3) -> None:
    dut.rst.value = 1
    for _ in range(cycles):
        await RisingEdge(dut.clk)
    dut.rst.value = 0


@cocotb.test()
async def stream_images(dut) -> None:
    cfg = _read_json(os.environ["FPGASNN_RTL_CONFIG"])
    seed = int(cfg.get("seed", 0))
    images: list[list[int]] = cfg["images"]
    ncls = int(cfg["ncls"])
    reset_before = int(cfg.get("reset_before", -1))
    isolated = bool(cfg.get("isolated", False))
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.s_axis_tvalid.value = 0
    dut.s_axis_tdata.value = 0
    dut.s_axis_tlast.value = 0
    dut.m_axis_tready.value = 1
    await reset(dut)
    mon = Monitor(
        dut,
        random.Random(seed + 1),
        float(cfg.get("backpressure", 0.0)),
        bool(cfg.get("spikes", True)),
        list(cfg.get("dbg_stages", [])),
    )
    cocotb.start_soon(mon.run())
    drv = Driver(dut, random.Random(seed), float(cfg.get("idle", 0.0)))
    starts: list[int] = []
    for n, img in enumerate(images):
        if n == reset_before:  # the earlier images leave first; then image n is abandoned half way
            while len(mon.out_beats) < n * (ncls + 1):
                await RisingEdge(dut.clk)
            keep = len(drv.in_beats)
            await drv.send(img[: len(img) // 2])
            await reset(dut)
            mon.epoch = 1
            del drv.in_beats[keep:]
        if isolated:  # each image enters an empty core: wait for the previous one's class beat
            while len(mon.out_beats) < n * (ncls + 1):
                await RisingEdge(dut.clk)
        starts.append(len(drv.in_beats))
        await drv.send(img)
    want = len(images) * (ncls + 1)
    for _ in range(int(cfg.get("max_cycles", 10_000_000))):
        if len(mon.out_beats) >= want:
            break
        await RisingEdge(dut.clk)
    for _ in range(100):  # drain check: nothing more may arrive
        await RisingEdge(dut.clk)
    _write_json(
        cfg["out"],
        {
            "starts": starts,
            "in_beats": drv.in_beats,
            "out_beats": mon.out_beats,
            "dbg": mon.dbg,
            "reset_image": reset_before,
        },
    )
