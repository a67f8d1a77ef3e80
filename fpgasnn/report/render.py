"""Render a report dict (see :mod:`fpgasnn.report.collect`) as the terminal summary the CLI prints.

The HTML page is :mod:`fpgasnn.report.page`.
"""

from __future__ import annotations

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
                    f"{r['lanes']}, taps {r.get('taps', 1)}, update {r.get('update_words', 1)} "
                    "words/cycle)"
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
