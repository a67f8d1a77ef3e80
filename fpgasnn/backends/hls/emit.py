"""Emit the HLS part of a project as a build plan {relative path: text}.

Layout (``top`` = snn_top)::

    firmware/  snn_top.cpp snn_top.h parameters.h weights.h fpgasnn_defines.h fpgasnn_layers.h
    tb/        snn_top_tb.cpp
    tb_data/   inputs.txt expected.txt   (seeded random images and the golden model's outputs)
    scripts/   build_hls.tcl (Vitis HLS) build_vivado.tcl (Vivado project + block design)
"""

from __future__ import annotations

from fpgasnn.backends.hls.context import HlsContext, build_context
from fpgasnn.backends.hls.stimulus import format_images, format_outputs, random_images
from fpgasnn.backends.hls.templates import KERNEL_HEADERS, read_template_file, render
from fpgasnn.backends.plan import Plan, validate_plan
from fpgasnn.boards import Board
from fpgasnn.golden import simulate
from fpgasnn.hw import HwNetwork
from fpgasnn.ir.network import Network

IP = {"vendor": "fpgasnn.org", "library": "fpgasnn", "version": "1.0"}
TB_IMAGES = 16


def hls_files(ctx: HlsContext) -> Plan:
    """The generated C++ and Tcl for ``ctx`` (no test vectors)."""
    top = ctx.top
    plan: Plan = {
        f"firmware/{top}.cpp": render("top.cpp.j2", ctx=ctx),
        f"firmware/{top}.h": render("top.h.j2", ctx=ctx),
        "firmware/parameters.h": render("parameters.h.j2", ctx=ctx),
        "firmware/weights.h": render("weights.h.j2", ctx=ctx),
        f"tb/{top}_tb.cpp": render("tb.cpp.j2", ctx=ctx),
        "scripts/build_hls.tcl": render("build_hls.tcl.j2", ctx=ctx, ip=IP),
        "scripts/build_vivado.tcl": render("build_vivado.tcl.j2", ctx=ctx, ip=IP),
    }
    for name in KERNEL_HEADERS:
        plan[f"firmware/{name}"] = read_template_file(name)
    return plan


def hls_plan(
    net: HwNetwork | Network, board: Board, lanes=None, *, tb_images: int = TB_IMAGES, seed: int = 0
) -> Plan:
    """The HLS files plus test-bench vectors (``tb_images`` seeded random images, golden outputs).
    ``net``: a lowered network, or a Network lowered here with ``lanes``."""
    ctx = build_context(net, board, lanes)
    plan = hls_files(ctx)
    net = net.net if isinstance(net, HwNetwork) else net
    x = random_images(net, tb_images, seed)
    res = simulate(net, x)
    plan["tb_data/inputs.txt"] = format_images(x)
    plan["tb_data/expected.txt"] = format_outputs(res.scores, res.classes)
    validate_plan(plan)
    return plan


__all__ = ["IP", "TB_IMAGES", "hls_files", "hls_plan"]
