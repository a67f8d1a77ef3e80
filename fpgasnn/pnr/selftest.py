"""A board self-test around the Verilog core: the hand-written ``verilog/snn_selftest.v`` (the core,
a ROM of N test images, a ROM of their golden classes, a checker driving LEDs), its build plan,
its Verilator simulation (cocotb's runner, bench :mod:`fpgasnn.pnr.selftest_bench`) and its place
and route on an ECP5 board with every port on a board pin (a bitstream to program).

Contract: the golden classes come from :func:`fpgasnn.golden.simulate` on the same images; after
power-on the top streams every image into the core and compares each class beat with the ROM. LED
bits (before the board's polarity): bit 0 pass (all matched), bit 1 done (all classes arrived), bits
2.. the number of matches modulo 2**(LEDs - 2) (:func:`expected_leds`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from fpgasnn.backends.plan import Plan, write_plan
from fpgasnn.backends.rtl.sim import verilator_runner
from fpgasnn.boards import Ecp5Board
from fpgasnn.errors import BackendError, ToolError
from fpgasnn.ir.network import Network

TOP = "snn_selftest"
IMAGES_FILE = "selftest_images.mem"
CLASSES_FILE = "selftest_classes.mem"
_IN_W = re.compile(r"input\s+wire\s+\[(\d+):0\]\s+s_axis_tdata")


@dataclass(frozen=True)
class SelfTest:
    plan: Plan
    """The core's files, ``snn_selftest.v`` and the two ROM images."""
    params: dict[str, int]
    """Parameters of ``snn_selftest``: N_IMG, PIX, IN_W, LED_W, LED_ACTIVE_LOW, BTN_ACTIVE_LOW."""
    classes: tuple[int, ...]
    """The golden class of each image (what the class ROM holds)."""


def core_input_width(top_text: str) -> int:
    """The width of the core's ``s_axis_tdata`` (read from the generated ``snn_top.v``)."""
    m = _IN_W.search(top_text)
    if not m:
        raise BackendError("snn_top.v declares no 's_axis_tdata' input bus")
    return int(m.group(1)) + 1


def selftest_plan(
    net: Network,
    core: Mapping[str, str | bytes],
    images: np.ndarray,
    *,
    leds: int = 8,
    led_active_low: bool = False,
    btn_active_low: bool = False,
) -> SelfTest:
    """The self-test of ``core`` (the plan of ``net``'s Verilog) on ``images`` (N, C, H, W)."""
    from fpgasnn.golden import simulate

    x = np.asarray(images, dtype=np.int64)
    if x.ndim != 4 or len(x) == 0 or tuple(x.shape[1:]) != tuple(net.input.shape):
        raise BackendError(
            f"self-test images must be (N, {', '.join(map(str, net.input.shape))}) "
            f"with N >= 1, got shape {x.shape}"
        )
    if len(x) > 255:
        raise BackendError(f"a self-test holds at most 255 images, got {len(x)}")
    if leds < 3:
        raise BackendError(
            f"the self-test shows pass, done and a count: it needs >= 3 LEDs, got {leds}"
        )
    top = core["snn_top.v"]
    in_w = core_input_width(top if isinstance(top, str) else top.decode())
    classes = tuple(int(c) for c in simulate(net, x).classes)
    if max(classes) > 255:
        raise BackendError(
            f"class indices above 255 do not fit the 8-bit class ROM: {max(classes)}"
        )
    flat = x.reshape(len(x), -1)
    digits = -(-in_w // 4)
    words = flat & ((1 << in_w) - 1)
    plan = dict(core)
    plan["snn_selftest.v"] = (
        resources.files(__package__).joinpath("verilog", "snn_selftest.v").read_text()
    )
    plan[IMAGES_FILE] = "".join(f"{int(v):0{digits}x}\n" for v in words.ravel())
    plan[CLASSES_FILE] = "".join(f"{c:02x}\n" for c in classes)
    params = {
        "N_IMG": len(x),
        "PIX": int(flat.shape[1]),
        "IN_W": in_w,
        "LED_W": leds,
        "LED_ACTIVE_LOW": int(led_active_low),
        "BTN_ACTIVE_LOW": int(btn_active_low),
    }
    return SelfTest(dict(sorted(plan.items())), params, classes)


def board_leds(board: Ecp5Board) -> int:
    """How many ``led[i]`` pins the board's LPF places."""
    return len(re.findall(r'^LOCATE COMP "led\[\d+\]"', board.lpf_text(), re.MULTILINE))


def board_selftest_plan(
    net: Network, core: Mapping[str, str | bytes], images: np.ndarray, board: Ecp5Board
) -> SelfTest:
    return selftest_plan(
        net,
        core,
        images,
        leds=board_leds(board),
        led_active_low=board.led_active_low,
        btn_active_low=board.btn_active_low,
    )


def expected_leds(n_img: int, matches: int, leds: int, active_low: bool = False) -> int:
    """The LED pins once the self-test is done with ``matches`` of ``n_img`` classes right."""
    raw = ((matches << 2) | 2 | int(matches == n_img)) & ((1 << leds) - 1)
    return raw ^ ((1 << leds) - 1) if active_low else raw


def simulate_selftest(
    st: SelfTest,
    workdir: str | Path,
    *,
    max_cycles: int = 10_000_000,
    classes: tuple[int, ...] | None = None,
) -> dict:
    """Run the self-test top on Verilator until its done LED lights (or ``max_cycles``): {led,
    cycles, done}. ``classes`` replaces the class ROM (to check that a wrong class is caught)."""
    work = Path(workdir).resolve()
    src, build = work / "src", work / "sim_build"
    write_plan(st.plan, src, force=True)
    if classes is not None:
        (src / CLASSES_FILE).write_text("".join(f"{c:02x}\n" for c in classes))
    runner = verilator_runner()
    sources = [src / p for p in sorted(st.plan) if p.endswith(".v")]
    try:
        runner.build(
            sources=sources,
            hdl_toplevel=TOP,
            build_dir=build,
            always=True,
            parameters=dict(st.params),
            timescale=("1ns", "1ps"),
            build_args=[
                "-Wno-fatal",
                "-Wno-lint",
                "-Wno-style",
                "-O2",
                "--output-split",
                "0",
                "--output-split-cfuncs",
                "0",
            ],
            log_file=build / "build.log",
        )
    except (SystemExit, RuntimeError) as e:
        log = build / "build.log"
        raise ToolError(
            ["verilator", TOP],
            int(getattr(e, "code", 1) or 1),
            log.read_text() if log.exists() else "",
            "Verilator build",
        ) from None
    cfg, out, log = work / "selftest_config.json", work / "selftest_observed.json", work / "sim.log"
    out.unlink(missing_ok=True)
    cfg.write_text(json.dumps({"out": str(out), "max_cycles": max_cycles, **st.params}))
    try:
        runner.test(
            hdl_toplevel=TOP,
            test_module="fpgasnn.pnr.selftest_bench",
            build_dir=build,
            test_dir=src,
            results_xml=str(work / "results.xml"),
            log_file=log,
            extra_env={"FPGASNN_SELFTEST_CONFIG": str(cfg), "COCOTB_LOG_LEVEL": "WARNING"},
        )
    except (SystemExit, RuntimeError) as e:
        raise ToolError(
            [str(build / TOP)],
            int(getattr(e, "code", 1) or 1),
            log.read_text() if log.exists() else "",
            "self-test simulation",
        ) from None
    if not out.exists():
        raise ToolError(
            ["cocotb", TOP], 1, log.read_text() if log.exists() else "", "self-test simulation"
        )
    return json.loads(out.read_text())


def pnr_selftest(
    st: SelfTest,
    board: Ecp5Board,
    out_dir: str | Path,
    *,
    seed: int = 1,
    timeout: float | None = None,
):
    """Place and route the self-test for ``board`` at its oscillator clock, every port on a pin."""
    from fpgasnn.pnr.flow import place_and_route

    return place_and_route(
        st.plan,
        board,
        out_dir,
        clock_mhz=float(board.clock_mhz),
        seed=seed,
        top=TOP,
        params=st.params,
        allow_unconstrained=False,
        timeout=timeout,
    )


__all__ = [
    "SelfTest",
    "board_leds",
    "board_selftest_plan",
    "core_input_width",
    "expected_leds",
    "pnr_selftest",
    "selftest_plan",
    "simulate_selftest",
]
