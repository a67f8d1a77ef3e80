"""What a conversion method is: a neuron kind, an initial-membrane rule, extra steps, calibration passes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from fpgasnn.convert.passes import ConvertContext, Pass
from fpgasnn.convert.snnspec import SnnSpec
from fpgasnn.errors import DataError
from fpgasnn.ir.nodes import NeuronKind


@dataclass(frozen=True)
class Method:
    """A conversion method. ``presim(T)`` / ``sleep(T, hidden_layers)`` give the extra steps; ``passes``
    are snnspec -> snnspec calibration passes run after the schedule is set."""

    name: str
    kind: NeuronKind
    description: str
    passes: tuple[Pass, ...] = ()
    presim: Callable[[int], int] = lambda T: 0
    sleep: Callable[[int, int], int] = lambda T, hidden: 0

    @property
    def needs_calibration(self) -> bool:
        return bool(self.passes)


def calib_data(spec: SnnSpec, ctx: ConvertContext):
    """The context's CalibData, built on first use from ``ctx.calib_images`` (DataError if none)."""
    from fpgasnn.calibrate.common import CalibData

    if ctx.calib is None:
        if ctx.calib_images is None or len(ctx.calib_images) == 0:
            raise DataError(
                "this conversion method calibrates on data: pass calibration images "
                "(from the training split)"
            )
        ctx.calib = CalibData.build(spec, ctx.fnet, ctx.calib_images, ctx.calib_labels)
    return ctx.calib


def calibration_pass(name: str, fn: Callable[[SnnSpec, ConvertContext], SnnSpec], doc: str) -> Pass:
    """A snnspec -> snnspec pass that records its wall time under ``calib:<name>`` and the CPU time of
    the process (all threads) under ``calib_cpu:<name>``: on a shared machine the wall time also
    counts the other jobs' turns."""

    def timed(spec: SnnSpec, ctx: ConvertContext) -> SnnSpec:
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn(spec, ctx)
        ctx.times[f"calib:{name}"] = ctx.times.get(f"calib:{name}", 0.0) + time.perf_counter() - t0
        ctx.times[f"calib_cpu:{name}"] = (
            ctx.times.get(f"calib_cpu:{name}", 0.0) + time.process_time() - c0
        )
        return out

    return Pass(name, "snnspec", "snnspec", timed, doc)
