"""``fpgasnn inspect NET.snn``: layers, shapes, widths and parameter counts."""

from __future__ import annotations

import argparse

from fpgasnn.cli.args import input_file, load_network
from fpgasnn.ir import annotate_widths
from fpgasnn.ir.nodes import OP_NAMES, Conv2D, Dense, Neuron, Output


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "inspect",
        help="show layers, shapes, bit widths and parameter counts of a .snn file",
        description="Show layers, shapes, bit widths (from range analysis) and parameter "
        "counts of an integer SNN.",
    )
    p.add_argument("net", type=input_file, help="the .snn file")
    p.set_defaults(func=run)


def describe(net) -> str:
    net = annotate_widths(net)
    rows = [("layer", "op", "shape", "detail", "bits", "params")]
    for node, shape in zip(net.nodes, net.shapes(), strict=False):
        detail, bits = "", ""
        if isinstance(node, Conv2D):
            kh, kw = node.kernel
            detail = f"{kh}x{kw} s{node.stride} pad{list(node.padding)}" + (
                "" if node.bias is not None else " nobias"
            )
            bits = f"I:{node.current_bits}"
        elif isinstance(node, Dense):
            detail = f"{node.weight.shape[1]}->{node.weight.shape[0]}" + (
                "" if node.bias is not None else " nobias"
            )
            bits = f"I:{node.current_bits}"
        elif isinstance(node, Neuron):
            v0 = "per-neuron" if node.per_neuron_v0 else str(node.v0)
            detail = f"{node.kind.value} theta={node.theta} v0={v0}"
            bits = f"v:{node.membrane_bits}"
        elif isinstance(node, Output):
            bits = f"acc:{node.acc_bits}"
        rows.append(
            (
                node.name,
                OP_NAMES[type(node)],
                "x".join(map(str, shape)),
                detail,
                bits,
                str(net.param_count(node)),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip() for r in rows]
    s = net.schedule
    total = sum(net.param_count(n) for n in net.nodes)
    lines.append(
        f"schedule: presim={s.presim} wake(T)={s.wake} sleep={s.sleep} -> {s.total} steps; "
        f"{total} parameters"
    )
    if net.meta:
        lines.append("meta: " + ", ".join(f"{k}={_short(v)}" for k, v in sorted(net.meta.items())))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    print(describe(load_network(args.net)))
    return 0


def _short(v) -> str:
    """A metadata value for one line: a long list (e.g. calibration indices) as its ends and length."""
    if isinstance(v, (list, tuple)) and len(v) > 8:
        return f"[{v[0]}, {v[1]}, {v[2]}, ..., {v[-1]}] ({len(v)} values)"
    return str(v)
