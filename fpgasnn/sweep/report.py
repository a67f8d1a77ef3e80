"""The sweep's HTML page: the chosen point per board first, then the Pareto plots (accuracy, latency,
LUT), then every point in one table, then how each figure was obtained. Plots are matplotlib (Agg)
PNGs embedded as base64, so the page is one self-contained file."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence

from fpgasnn.sweep.space import RESOURCE_KEYS

TABLE_COLUMNS = (
    ("board", "board"),
    ("T", "T"),
    ("method", "method"),
    ("method_used", "method used"),
    ("res_bits", "res bits"),
    ("lanes", "lanes"),
    ("snn_top1_pct", "top-1 %"),
    ("clock_mhz", "clock MHz"),
    ("fmax_mhz", "fmax MHz"),
    ("latency_us", "latency us"),
    ("interval_us", "interval us"),
    ("LUT", "LUT"),
    ("FF", "FF"),
    ("BRAM_18K", "BRAM_18K"),
    ("DSP", "DSP"),
    ("energy_nj", "nJ/image"),
    ("fits", "fits"),
    ("pareto", "Pareto"),
    ("error", "error"),
)

_CSS = """
body { font-family: sans-serif; margin: 1.5em; max-width: 1400px; color: #222; }
table { border-collapse: collapse; font-size: 13px; margin: 0.5em 0 1.5em 0; }
th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: right; }
th { background: #eee; }
td.text { text-align: left; }
tr.pareto td { background: #eef7ee; }
tr.failed td { background: #fbeaea; }
figure { display: inline-block; margin: 0 1em 1em 0; }
figcaption { font-size: 13px; color: #555; }
.how { font-size: 13px; color: #444; }
"""


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def pareto_plots(records: Sequence[dict], best: dict[str, dict]) -> list[tuple[str, str, str]]:
    """(id, caption, base64 PNG) of the three projections of the (accuracy, latency, LUT) space."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in records if r.get("error") is None]
    boards = sorted({r["board"] for r in ok})
    colors = {b: f"C{i % 10}" for i, b in enumerate(boards)}
    best_keys = {r["key"] for r in best.values()}
    axes = [
        (
            "latency_us",
            "snn_top1_pct",
            "latency (us per image; at fmax where P&R missed the clock)",
            "top-1 (%)",
        ),
        ("LUT", "snn_top1_pct", "LUT (the board's own LUTs)", "top-1 (%)"),
        ("LUT", "latency_us", "LUT (the board's own LUTs)", "latency (us)"),
    ]
    out = []
    for xk, yk, xl, yl in axes:
        pts = [r for r in ok if r.get(xk) is not None and r.get(yk) is not None]
        if not pts:
            continue
        fig, ax = plt.subplots(figsize=(5.6, 4.0))
        for b in boards:
            mine = [r for r in pts if r["board"] == b]
            front = sorted((r for r in mine if r["pareto"]), key=lambda r: r[xk])
            rest = [r for r in mine if not r["pareto"]]
            ax.scatter(
                [r[xk] for r in rest], [r[yk] for r in rest], c=colors[b], alpha=0.35, marker="o"
            )
            ax.scatter(
                [r[xk] for r in front],
                [r[yk] for r in front],
                c=colors[b],
                marker="o",
                edgecolors="black",
                label=f"{b} (Pareto filled)",
            )
            chosen = [r for r in mine if r["key"] in best_keys]
            ax.scatter(
                [r[xk] for r in chosen],
                [r[yk] for r in chosen],
                marker="*",
                s=220,
                c=colors[b],
                edgecolors="black",
            )
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        if xk in ("latency_us", "LUT"):
            ax.set_xscale("log")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
        ident = f"plot-{yk}-vs-{xk}".replace("_", "-").lower()
        out.append((ident, f"{yl} against {xl}; star: the chosen point of a board", _png(fig)))
    return out


def _table(records: Sequence[dict], table_id: str, columns=TABLE_COLUMNS) -> str:
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in columns)
    rows = []
    for r in records:
        cls = "failed" if r.get("error") else ("pareto" if r.get("pareto") else "")
        cells = "".join(
            f'<td class="text">{html.escape(_fmt(r.get(k)))}</td>'
            if isinstance(r.get(k), str) or r.get(k) is None
            else f"<td>{html.escape(_fmt(r.get(k)))}</td>"
            for k, _ in columns
        )
        rows.append(f'<tr class="{cls}">{cells}</tr>')
    return (
        f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table>"
    )


def html_page(records: Sequence[dict], stats: dict, best: dict[str, dict]) -> str:
    cfg = stats.get("config", {})
    boards = list(cfg.get("boards", sorted({r["board"] for r in records})))
    chosen = [best[b] for b in boards if b in best]
    missing = [b for b in boards if b not in best]
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>fpgasnn sweep</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Design-space sweep: {html.escape(str(stats.get('model', '')))}</h1>",
        f"<p>{stats['points']} points ({stats['points_failed']} failed), "
        f"{stats['pareto_points']} on their board's Pareto front; {stats['tasks']} tasks, "
        f"{stats['cache_hits']} from the cache; {stats['wall_s']:.1f} s on "
        f"{stats['workers']} worker(s) ({html.escape(str(stats['scheduler']))} scheduler).</p>",
        "<h2>The chosen point per board</h2>",
        "<p class='how'>Among the points that fit the board: the most accurate, then the "
        "fastest, then the fewest LUTs. Its project is in <code>best/BOARD/</code>.</p>",
        _table(chosen, "best"),
    ]
    if missing:
        parts.append(
            "<p>No fitting point (or no resources measured) for: "
            + html.escape(", ".join(missing))
            + "</p>"
        )
    parts.append("<h2>Pareto front (accuracy, latency, LUT), per board</h2>")
    for ident, caption, png in pareto_plots(records, best):
        parts.append(
            f'<figure id="{ident}"><img alt="{html.escape(caption)}" '
            f'src="data:image/png;base64,{png}"><figcaption>{html.escape(caption)}'
            "</figcaption></figure>"
        )
    parts += [
        "<h2>Every point</h2>",
        "<p class='how'>Green: on its board's Pareto front; red: failed (the error says which "
        "task and why).</p>",
        _table(records, "points"),
        "<h2>How each figure was obtained</h2><ul class='how'>",
        f"<li>top-1: the golden integer model on the {html.escape(str(cfg.get('dataset')))} "
        "test split (all of it unless the sweep said otherwise), bit-exact with csim and "
        "rtlsim.</li>",
        f"<li>latency and interval: the exact cycle model of the Verilog core on "
        f"{cfg.get('cycle_images')} test images (latency of an image entering an empty core, "
        "interval of images streamed back to back) at the board clock.</li>",
        "<li>resources: "
        + html.escape(
            "; ".join(sorted({str(r["resources"]) for r in records if r.get("resources")}))
            or "not measured"
        )
        + f". A point fits when each of {', '.join(RESOURCE_KEYS)} is within the board's.</li>",
        "<li>energy: exact operation counts from the golden trace times 45 nm constants "
        "(0.9 pJ per accumulate, 4.6 pJ per MAC).</li>",
        "<li>Pareto front: per board (latency at the board clock, LUTs of the board's "
        "family); a point is on it when no point of the same board is at least as accurate, "
        "as fast and as small and better in one of these.</li></ul>",
        "</body></html>\n",
    ]
    return "".join(parts)


__all__ = ["html_page", "pareto_plots"]
