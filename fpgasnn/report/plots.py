"""The report page's plots, drawn with matplotlib (Agg) as PNG bytes (deterministic for the same report).

Each plot is a :class:`Plot` (key, title, caption, PNG bytes); a plot whose data is absent from the report
is left out.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from fpgasnn.report.figures import ann_top1, resource_rows

DPI = 100
COLORS = {
    "model": "#3b6ea8",
    "bound": "#b9c7d8",
    "ok": "#3b8f5a",
    "bad": "#c0392b",
    "ann": "#777777",
}


@dataclass(frozen=True)
class Plot:
    key: str
    title: str
    caption: str
    png: bytes


def _setup():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 10,
            "legend.frameon": False,
        }
    )
    return plt


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def cycles_plot(rep: dict) -> Plot | None:
    lat = rep.get("latency") or {}
    rows = lat.get("per_layer") or []
    if not rows:
        return None
    plt = _setup()
    fig, ax = plt.subplots(figsize=(5.2, 3.1), layout="constrained")
    xs = list(range(len(rows)))
    ax.bar(
        [x - 0.2 for x in xs],
        [r["cycles"] for r in rows],
        0.4,
        color=COLORS["model"],
        label="busy cycles (cycle model)",
    )
    ax.bar(
        [x + 0.2 for x in xs],
        [r["lower_bound"] for r in rows],
        0.4,
        color=COLORS["bound"],
        label="lower bound: events / (lanes × taps)",
    )
    iv = lat.get("interval_mean")
    if iv:
        ax.axhline(iv, color="#444444", lw=1, ls="--", label=f"interval {iv:,.0f} (slowest layer)")
    ax.set_xticks(
        xs,
        [f"{r['layer']}\n{r['lanes']} lanes × {r.get('taps', 1)} taps" for r in rows],
        fontsize=8,
    )
    ax.set_ylabel("cycles per image (mean)")
    ax.set_ylim(0, max(max(r["cycles"] for r in rows), iv or 0) * 1.45)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(axis="y", alpha=0.3)
    return Plot(
        "cycles",
        "Cycles per layer against the lower bound",
        "Mean busy cycles per image of each layer (cycle model) beside its lower bound, the "
        "layer's synaptic events divided by lanes × parallel taps. The slowest layer sets the "
        "interval (dashed).",
        _png(fig),
    )


def resources_plot(rep: dict) -> Plot | None:
    rows, src = resource_rows(rep)
    rows = [r for r in rows if r.pct is not None]
    if not rows:
        return None
    board = (rep.get("board") or {}).get("name", "?")
    plt = _setup()
    fig, ax = plt.subplots(figsize=(5.2, 0.55 * len(rows) + 1.1), layout="constrained")
    ys = list(range(len(rows)))[::-1]
    colors = [COLORS["ok"] if r.pct <= 100 else COLORS["bad"] for r in rows]
    ax.barh(ys, [r.pct for r in rows], 0.6, color=colors)
    peak = max(r.pct for r in rows)
    # a small core: scale to its use (the table above shows it against 100 %); else show the 100 % line
    top = peak * 1.6 if peak < 50 else max(100.0, peak) * 1.45
    if top > 100:
        ax.axvline(100, color=COLORS["bad"], lw=1)
    for y, r in zip(ys, rows, strict=True):
        cap = f"{r.capacity:,.0f}" if r.capacity else "?"
        ax.annotate(
            f"{r.used:,.0f} / {cap}  ({r.pct:.1f} %)",
            (r.pct, y),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax.set_yticks(ys, [r.key for r in rows])
    ax.set_xlim(0, top)
    ax.set_xlabel(
        f"% of {board}'s capacity"
        + (" (red line: 100 %)" if top > 100 else " (the axis stops short of 100 %)")
    )
    return Plot(
        "resources",
        f"Resources against {board}",
        f"Used / available on {board} ({src}).",
        _png(fig),
    )


def accuracy_plot(rep: dict) -> Plot | None:
    recs = rep.get("accuracy_vs_T") or []
    if not recs:
        return None
    plt = _setup()
    fig, ax = plt.subplots(figsize=(5.2, 3.1), layout="constrained")
    for method in sorted({r["method"] for r in recs}):
        pts = sorted((r["T"], r["snn_top1_pct"]) for r in recs if r["method"] == method)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=method)
    ann = ann_top1(rep)
    if ann is not None:
        ax.axhline(ann, color=COLORS["ann"], lw=1, ls="--", label=f"quantized ANN {ann:.2f} %")
    ax.set_xlabel("T (wake steps)")
    ax.set_ylabel("SNN top-1 (%)")
    ax.set_xscale("log", base=2)
    ts = sorted({r["T"] for r in recs})
    ax.set_xticks(ts, [str(t) for t in ts])
    ax.minorticks_off()
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return Plot(
        "accuracy",
        "Accuracy against T per conversion method",
        "Top-1 of the golden model for each number of time steps T and conversion method "
        "(the flow's sweep or --accuracy-json records).",
        _png(fig),
    )


def spikes_plot(rep: dict) -> Plot | None:
    rates = rep.get("spike_rates") or {}
    if not rates:
        return None
    plt = _setup()
    fig, ax = plt.subplots(figsize=(5.2, 2.8), layout="constrained")
    ax.bar(list(rates), list(rates.values()), 0.5, color=COLORS["model"])
    for i, v in enumerate(rates.values()):
        ax.annotate(
            f"{v:.3f}", (i, v), xytext=(0, 2), textcoords="offset points", ha="center", fontsize=8
        )
    pad = max(0, 3 - len(rates)) / 2  # a lone bar does not fill the plot
    ax.set_xlim(-0.5 - pad, len(rates) - 0.5 + pad)
    ax.set_ylabel("spikes / neuron / step")
    ax.set_ylim(0, max(rates.values()) * 1.2 or 1.0)
    ax.grid(axis="y", alpha=0.3)
    return Plot(
        "spikes",
        "Spike rate per layer",
        "Mean spikes per neuron per time step (golden model); the accumulates, and so the "
        "cycles and the energy, grow with it.",
        _png(fig),
    )


def plots(rep: dict) -> list[Plot]:
    """The page's plots in reading order: the core's cycles, its resources, accuracy, spike rates."""
    out = [cycles_plot(rep), resources_plot(rep), accuracy_plot(rep), spikes_plot(rep)]
    return [p for p in out if p is not None]
