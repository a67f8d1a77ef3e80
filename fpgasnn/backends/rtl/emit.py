"""Emit the Verilog of a network as a build plan {relative path: text}: the hand-written library
(``verilog/*.v``), a generated top level (Jinja2, StrictUndefined) and the memory images."""

from __future__ import annotations

from importlib import resources

import jinja2

from fpgasnn.backends.plan import Plan, validate_plan
from fpgasnn.backends.rtl.context import RtlCtx, _ubits, build_context
from fpgasnn.hw import HwNetwork
from fpgasnn.ir.network import Network

LIBRARY = ("snn_ctrl.v", "snn_fwd_lane.v", "snn_seg_rom.v", "snn_stage.v")
TOP = "snn_top"

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("fpgasnn.backends.rtl", "templates"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,
)


def library_source(name: str) -> str:
    return resources.files("fpgasnn.backends.rtl").joinpath("verilog", name).read_text()


def _stage_view(s) -> dict:
    npos, och = s.npos, s.och
    return dict(
        index=s.index,
        name=s.name,
        lanes=s.lanes,
        och=och,
        npos=npos,
        params=s.params,  # noqa: C408
        is_output=s.is_output,
        qa=_ubits(npos * och - 1),
        qe=_ubits(npos - 1) + _ubits(och - 1) + 2 * s.lanes,
        qab=int(s.params["QAB"]),
        upar=int(s.params["UPAR"]),
    )


def render_top(ctx: RtlCtx) -> str:
    stages = [_stage_view(s) for s in ctx.stages]
    hidden = [s for s in stages if not s["is_output"]]
    return _ENV.get_template("snn_top.v.j2").render(
        top=ctx.top,
        net_name=str(ctx.net.meta.get("source", "network")),
        stages=stages,
        hidden=hidden,
        ctrl=ctx.ctrl,
        nb=ctx.hw.counter_bits,
    )


def rtl_files(ctx: RtlCtx) -> Plan:
    plan: Plan = {name: library_source(name) for name in LIBRARY}
    plan[f"{ctx.top}.v"] = render_top(ctx)
    for s in ctx.stages:
        plan.update(s.mems)
    return plan


def rtl_plan(net: HwNetwork | Network, lanes=None) -> Plan:
    """Every file of the Verilog core for a lowered network (or a Network lowered here with ``lanes``),
    paths relative to the RTL folder, deterministic."""
    plan = rtl_files(build_context(net, lanes))
    validate_plan(plan)
    return dict(sorted(plan.items()))


__all__ = ["LIBRARY", "TOP", "library_source", "render_top", "rtl_files", "rtl_plan"]
