"""Render a report dict (see :mod:`fpgasnn.report.collect`) as a terminal table and an HTML page with plots.

Plots are drawn with matplotlib (Agg) and embedded as base64 PNG, so the page is one self-contained file.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

RESOURCE_KEYS = ("LUT", "FF", "BRAM_18K", "DSP")


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.3g}" if abs(v) < 100 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def terminal_table(rep: dict) -> str:
    lines = [f"fpgasnn report: {rep.get('project', '')}"]
    b = rep.get("board", {})
    s = rep.get("schedule", {})
    lines.append(
        f"board {b.get('name')} ({b.get('part')}), {rep.get('clock_mhz')} MHz; "
        f"T={s.get('wake')} (+presim {s.get('presim', 0)}, +sleep {s.get('sleep', 0)}) "
        f"= {s.get('total')} steps"
    )
    acc = rep.get("accuracy")
    if acc:
        lines.append(
            f"accuracy  : {acc['snn_top1_pct']:.2f} % top-1 on {acc['images']} {acc['dataset']} "
            f"images [{acc['how']}]"
        )
    lat = rep.get("latency")
    if lat:
        lines.append(
            f"latency   : {lat['BestLatency']:,}-{lat['WorstLatency']:,} cycles "
            f"(mean {lat['cycles_mean']:,.0f}) = {lat['latency_us_mean']:.2f} us mean at "
            f"{rep.get('clock_mhz')} MHz; {lat['images_per_s']:,.0f} images/s [{lat['how']}]"
        )
        if lat.get("interval_lower_bound_mean"):
            lines.append(
                f"interval  : {lat['interval_mean']:,.0f} cycles between images streamed back "
                f"to back (bound {lat['interval_lower_bound_mean']:,.0f}, ratio "
                f"{lat['interval_mean'] / lat['interval_lower_bound_mean']:.2f}); latency / bound "
                f"{lat['cycles_mean'] / lat['lower_bound_mean']:.2f}"
            )
        if lat.get("per_layer"):
            lines.append(
                "per layer : "
                + ", ".join(
                    f"{r['layer']} {r['cycles']:,.0f} busy cycles (bound {r['lower_bound']:,.0f}, lanes "
                    f"{r['lanes']}, taps {r.get('taps', 1)})"
                    for r in lat["per_layer"]
                )
            )
    hls = rep.get("latency_hls")
    if hls:
        lines.append(
            f"HLS core  : {hls.get('BestLatency', '?'):,}-{hls['WorstLatency']:,} cycles = "
            f"{hls['latency_us_worst']:.2f} us worst case [{hls['how']}]"
        )
    res = rep.get("resources")
    if res:
        cells = ", ".join(
            f"{k} {_fmt(res[k])} ({res['pct'][k]:.1f} %)" for k in RESOURCE_KEYS if k in res
        )
        lines.append(
            f"resources : {cells}; {'fits' if res['fits'] else 'DOES NOT FIT'} [{res['how']}]"
        )
    if rep.get("post_route"):
        from fpgasnn.report.postroute import post_route_lines

        lines.extend(post_route_lines(rep["post_route"]))
    en = rep.get("energy")
    if en:
        lines.append(
            f"energy    : {en['energy_nj']:.2f} nJ/image ({_fmt(en['sop'])} accumulates + "
            f"{_fmt(en['mac'])} first-layer MACs); equal-width ANN {en['ann_energy_nj']:.2f} nJ "
            f"({_fmt(en['ann_mac'])} MACs) [{en['how']}]"
        )
    rates = rep.get("spike_rates")
    if rates:
        lines.append(
            "spike rate: "
            + ", ".join(f"{k} {v:.3f}" for k, v in rates.items())
            + " spikes/neuron/step"
        )
    for name, c in (rep.get("flow") or {}).items():
        lines.append(f"flow step : {name:7s} {'ok  ' if c['ok'] else 'FAIL'} {c['summary']}")
    for name, v in rep.get("vendor", {}).items():
        lines.append(
            f"vendor    : {name}: "
            + ", ".join(f"{k}={_fmt(x)}" for k, x in v.items() if k != "source")
            + f" [{v.get('source')}]"
        )
    return "\n".join(lines)


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _plots(rep: dict) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = []
    recs = rep.get("accuracy_vs_T") or []
    if recs:
        fig, ax = plt.subplots(figsize=(5.5, 3.5))
        for method in sorted({r["method"] for r in recs}):
            pts = sorted((r["T"], r["snn_top1_pct"]) for r in recs if r["method"] == method)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=method)
        ax.set_xlabel("T (wake steps)")
        ax.set_ylabel("SNN top-1 (%)")
        ax.set_xscale("log", base=2)
        ts = sorted({r["T"] for r in recs})
        ax.set_xticks(ts, [str(t) for t in ts])
        ax.minorticks_off()
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        out.append(("Accuracy vs T per method", _png(fig)))
    rates = rep.get("spike_rates") or {}
    if rates:
        fig, ax = plt.subplots(figsize=(5.5, 3))
        ax.bar(list(rates), list(rates.values()))
        ax.set_ylabel("spikes / neuron / step")
        out.append(("Spike rate per layer", _png(fig)))
    per_layer = (rep.get("latency") or {}).get("per_layer") or []
    if per_layer:
        fig, ax = plt.subplots(figsize=(5.5, 3))
        names = [row["layer"] for row in per_layer]
        xs = range(len(names))
        ax.bar(
            [x - 0.2 for x in xs], [row["cycles"] for row in per_layer], 0.4, label="cycles (model)"
        )
        ax.bar(
            [x + 0.2 for x in xs],
            [row["lower_bound"] for row in per_layer],
            0.4,
            label="lower bound",
        )
        ax.set_xticks(list(xs), names)
        ax.set_ylabel("cycles per image (mean)")
        ax.legend(fontsize=7)
        out.append(("Cycles per layer against the lower bound", _png(fig)))
    res = rep.get("resources")
    if res:
        fig, ax = plt.subplots(figsize=(5.5, 3))
        keys = [k for k in RESOURCE_KEYS if k in res]
        ax.bar(keys, [res["pct"][k] for k in keys])
        ax.axhline(100, color="red", lw=1)
        ax.set_ylabel(f"% of {rep.get('board', {}).get('name')}")
        out.append(("Resources against the board's capacity", _png(fig)))
    return out


def html_page(rep: dict) -> str:
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>fpgasnn report</title>",
        (
            "<style>body{font-family:sans-serif;max-width:960px;margin:2em auto}"
            "pre{background:#f4f4f4;padding:1em;white-space:pre-wrap}"
            "img{max-width:100%}td,th{padding:2px 8px;text-align:right}</style></head><body>"
        ),
        f"<h1>fpgasnn report</h1><pre>{esc(terminal_table(rep))}</pre>",
    ]
    layers = rep.get("layers") or []
    if layers:
        cols = list(layers[0])
        parts.append(
            "<h2>Layers</h2><table><tr>" + "".join(f"<th>{esc(c)}</th>" for c in cols) + "</tr>"
        )
        for row in layers:
            parts.append("<tr>" + "".join(f"<td>{esc(_fmt(row[c]))}</td>" for c in cols) + "</tr>")
        parts.append("</table>")
    for title, png in _plots(rep):
        parts.append(
            f"<h2>{esc(title)}</h2><img alt='{esc(title)}' src='data:image/png;base64,{png}'>"
        )
    parts.append("<h2>How each figure was obtained</h2><ul>")
    for key in ("accuracy", "latency", "resources", "post_route", "energy"):
        if rep.get(key):
            parts.append(f"<li><b>{key}</b>: {esc(rep[key]['how'])}</li>")
    parts.append("</ul></body></html>\n")
    return "".join(parts)
