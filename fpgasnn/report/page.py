"""The single-core report as one self-contained HTML page, read top to bottom:

1. the key figures against the board and the goal (accuracy, latency, throughput, clock, resources,
   energy), each with a verdict and its source; the resource use against the board's capacity; the checks
   the flow ran;
2. the plots (PNG data URIs);
3. the details (per-layer cycles, the network's layers, place-and-route runs, vendor reports);
4. how each figure was obtained (the sources table), then the terminal summary.

Inline CSS, no script, no external resource; the same report dict gives the same bytes.
"""

from __future__ import annotations

import base64
import html
import struct

from fpgasnn.report.figures import (
    BAD,
    OK,
    checks,
    key_figures,
    resource_rows,
    source_rows,
)
from fpgasnn.report.plots import plots
from fpgasnn.report.render import terminal_table

CSS = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1d2330;
 margin:0;background:#f5f6f8}
main{max-width:1040px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:22px;margin:0 0 2px}
h3{font-size:14px;margin:16px 0 6px}
h2{font-size:16px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid #d9dde3}
.sub{color:#5a6270;margin:0 0 14px}
.cards{display:grid;grid-template-columns:repeat(3,1fr);gap:12px}
.card{background:#fff;border:1px solid #d9dde3;border-left:5px solid #8a93a3;border-radius:6px;
 padding:10px 12px}
.card.ok{border-left-color:#3b8f5a}.card.warn{border-left-color:#d4a017}
.card.bad{border-left-color:#c0392b}
.label{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:#5a6270}
.value{font-size:26px;font-weight:600;margin:2px 0}
.verdict{display:inline-block;font-size:12px;font-weight:600;padding:1px 7px;border-radius:10px;
 background:#eceef2;color:#3d4452}
.ok .verdict,.badge.ok{background:#e2f2e7;color:#23683c}
.warn .verdict,.badge.warn{background:#fbf1d3;color:#7a5b00}
.bad .verdict,.badge.bad{background:#f8dedb;color:#962d22}
.detail{margin:6px 0 4px;font-size:13px;color:#3d4452}
.src{font-size:12px;color:#6b7383}
.src:before{content:"source: "}
.panel{background:#fff;border:1px solid #d9dde3;border-radius:6px;padding:10px 12px;margin-top:12px}
table{border-collapse:collapse;width:100%}
th,td{padding:4px 8px;text-align:left;vertical-align:top;border-bottom:1px solid #eceef2}
th{font-size:12px;color:#5a6270;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.bar{background:#eceef2;border-radius:3px;height:12px;min-width:160px;position:relative}
.bar span{display:block;height:12px;border-radius:3px;background:#3b8f5a}
.bar span.over{background:#c0392b}
.badge{display:inline-block;font-size:12px;font-weight:600;padding:1px 8px;border-radius:10px;
 margin:2px 6px 2px 0}
.checks td:first-child{white-space:nowrap}
.plots{display:grid;grid-template-columns:repeat(2,1fr);gap:12px}
figure{margin:0;background:#fff;border:1px solid #d9dde3;border-radius:6px;padding:10px}
figure h3{font-size:14px;margin:0 0 6px}
figure img{display:block;max-width:100%;height:auto;margin:0 auto}
figcaption{font-size:12px;color:#5a6270;margin-top:6px}
#sources td:nth-child(4){font-size:12px;color:#3d4452}
pre{background:#fff;border:1px solid #d9dde3;padding:10px;white-space:pre-wrap;font-size:12px}
details summary{cursor:pointer;color:#3b6ea8;margin-top:24px}
@media (max-width:860px){.cards{grid-template-columns:repeat(2,1fr)}.plots{grid-template-columns:1fr}}
@media (max-width:560px){.cards{grid-template-columns:1fr}}
"""


def _png_size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])


def _e(v) -> str:
    return html.escape(str(v), quote=True)


def _num(v) -> str:
    if isinstance(v, float):
        return f"{v:,.1f}" if abs(v) < 1000 and v != int(v) else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _header(rep: dict) -> str:
    b = rep.get("board") or {}
    s = rep.get("schedule") or {}
    meta = rep.get("network_meta") or {}
    net = str(meta.get("model") or meta.get("source") or "network")
    net = net.rsplit("/", 1)[-1]  # a model file's name, not the folder it was trained in
    lanes = rep.get("lanes") or {}
    taps = rep.get("taps") or {}
    par = ", ".join(f"{k} {v} × {taps.get(k, 1)}" for k, v in lanes.items()) if lanes else "?"
    steps = f"T={s.get('wake')}"
    if s.get("presim") or s.get("sleep"):
        steps += f" (+presim {s.get('presim', 0)}, +sleep {s.get('sleep', 0)})"
    return (
        f"<h1>SNN core report: {_e(b.get('description') or b.get('name', '?'))}</h1>"
        f"<p class='sub'>{_e(net)}{' (' + _e(meta['method']) + ')' if meta.get('method') else ''}"
        f" &middot; {_e(steps)} time steps &middot; part {_e(b.get('part', '?'))} &middot; "
        f"lanes × taps: {_e(par)} &middot; project {_e(rep.get('project', ''))}</p>"
    )


def _cards(rep: dict) -> str:
    out = ["<div class='cards'>"]
    for f in key_figures(rep):
        out.append(
            f"<div class='card {f.status}' id='fig-{f.key}' data-status='{f.status}'>"
            f"<div class='label'>{_e(f.label)}</div><div class='value'>{_e(f.value)}</div>"
            f"<span class='verdict'>{_e(f.verdict)}</span>"
            f"<p class='detail'>{_e(f.detail)}</p><div class='src'>{_e(f.source)}</div></div>"
        )
    out.append("</div>")
    return "".join(out)


def _resource_table(rep: dict) -> str:
    rows, src = resource_rows(rep)
    if not rows:
        return ""
    board = (rep.get("board") or {}).get("name", "?")
    out = [
        f"<div class='panel'><table id='resources'><tr><th>resource</th><th class='num'>used</th>"
        f"<th class='num'>{_e(board)} has</th><th class='num'>use</th><th>source: {_e(src)}</th></tr>"
    ]
    for r in rows:
        cap = _num(int(r.capacity)) if r.capacity else "?"
        if r.pct is None:
            pct, bar = "?", ""
        else:
            pct = f"{r.pct:.1f} %"
            width = min(r.pct, 100.0)
            over = " class='over'" if r.pct > 100 else ""
            bar = f"<div class='bar'><span{over} style='width:{width:.1f}%'></span></div>"
        out.append(
            f"<tr><td>{_e(r.key)}</td><td class='num'>{_num(int(r.used))}</td>"
            f"<td class='num'>{cap}</td><td class='num'>{pct}</td><td>{bar}</td></tr>"
        )
    out.append("</table></div>")
    return "".join(out)


def _checks(rep: dict) -> str:
    rows = checks(rep)
    if not rows:
        return ""
    out = [
        "<div class='panel'><table class='checks' id='checks'><tr><th>flow step</th><th>result</th></tr>"
    ]
    for name, ok, summary in rows:
        cls = OK if ok else BAD
        out.append(
            f"<tr><td><span class='badge {cls}'>{'ok' if ok else 'FAIL'}</span>{_e(name)}</td>"
            f"<td>{_e(summary)}</td></tr>"
        )
    out.append("</table></div>")
    return "".join(out)


def _plots(rep: dict) -> str:
    ps = plots(rep)
    if not ps:
        return ""
    out = ["<h2 id='plots-title'>Plots</h2><div class='plots' id='plots'>"]
    for p in ps:
        w, h = _png_size(p.png)
        data = base64.b64encode(p.png).decode("ascii")
        out.append(
            f"<figure id='plot-{p.key}'><h3>{_e(p.title)}</h3>"
            f"<img alt='{_e(p.title)}' width='{w}' height='{h}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{_e(p.caption)}</figcaption></figure>"
        )
    out.append("</div>")
    return "".join(out)


def _table(title: str, ident: str, cols: list[tuple[str, str]], rows: list[dict]) -> str:
    """cols: (key, header); a header starting with '#' marks a numeric column."""
    head = "".join(
        f"<th class='num'>{_e(h[1:])}</th>" if h.startswith("#") else f"<th>{_e(h)}</th>"
        for _, h in cols
    )
    body = []
    for r in rows:
        cells = []
        for k, h in cols:
            v = r.get(k, "")
            cells.append(
                f"<td class='num'>{_e(_num(v))}</td>" if h.startswith("#") else f"<td>{_e(v)}</td>"
            )
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<h3>{_e(title)}</h3><div class='panel'><table id='{ident}'><tr>{head}</tr>"
        + "".join(body)
        + "</table></div>"
    )


def _details(rep: dict) -> str:
    out = []
    per_layer = (rep.get("latency") or {}).get("per_layer") or []
    if per_layer:
        rows = [
            {**r, "ratio": f"{r['cycles'] / r['lower_bound']:.2f}" if r["lower_bound"] else "-"}
            for r in per_layer
        ]
        out.append(
            _table(
                "Cycles per layer (cycle model, mean per image)",
                "per-layer",
                [
                    ("layer", "layer"),
                    ("lanes", "#lanes"),
                    ("taps", "#taps"),
                    ("synaptic_events", "#synaptic events"),
                    ("cycles", "#busy cycles"),
                    ("lower_bound", "#lower bound"),
                    ("ratio", "#cycles / bound"),
                ],
                rows,
            )
        )
    layers = rep.get("layers") or []
    if layers:
        known = ["layer", "op", "shape", "bits", "params"]
        names = [c for c in known if c in layers[0]] + sorted(set(layers[0]) - set(known))
        cols = [(c, c if c in ("layer", "op", "shape") else "#" + c) for c in names]
        out.append(_table("Layers of the network", "layers", cols, layers))
    runs = (rep.get("post_route") or {}).get("runs") or []
    if runs:
        rows = [
            {
                **r,
                "state": "current" if r["current"] else "STALE",
                "fmax": f"{r['fmax_mhz']:.1f}",
                "target": f"{r['clock_mhz']:g}",
                "met_s": "met" if r["met"] else "MISSED",
            }
            for r in runs
        ]
        out.append(
            _table(
                "Place and route (nextpnr-ecp5, from PROJECT/pnr/)",
                "post_route",
                [
                    ("board", "board"),
                    ("part", "part"),
                    ("state", "result"),
                    ("target", "#target MHz"),
                    ("fmax", "#fmax MHz"),
                    ("met_s", "clock"),
                    ("LUT4", "#LUT4"),
                    ("FF", "#FF"),
                    ("EBR", "#EBR"),
                    ("MULT18", "#MULT18"),
                    ("critical_path", "critical path"),
                ],
                rows,
            )
        )
    for name, v in (rep.get("vendor") or {}).items():
        rows = [{"key": k, "value": _num(x)} for k, x in v.items() if k != "source"]
        out.append(
            _table(
                f"Vendor report: {name} ({v.get('source')})",
                f"vendor-{name}",
                [("key", "figure"), ("value", "value")],
                rows,
            )
        )
    if not out:
        return ""
    return "<h2>Details</h2>" + "".join(out)


def _sources(rep: dict) -> str:
    out = [
        "<h2>How each figure was obtained</h2><div class='panel'><table id='sources'>"
        "<tr><th>figure</th><th class='num'>value</th><th>source</th><th>how</th></tr>"
    ]
    for r in source_rows(rep):
        out.append(
            f"<tr><td>{_e(r['figure'])}</td><td class='num'>{_e(r['value'])}</td>"
            f"<td>{_e(r['source'])}</td><td>{_e(r['how'])}</td></tr>"
        )
    out.append("</table></div>")
    return "".join(out)


def html_page(rep: dict) -> str:
    """The report page for report dict ``rep`` (see the module docstring for its order)."""
    b = rep.get("board") or {}
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>fpgasnn report: {_e(b.get('name', ''))}</title><style>{CSS}</style></head>",
        "<body><main>",
        _header(rep),
        "<section id='key-figures'><h2>Key figures</h2>",
        _cards(rep),
        _resource_table(rep),
        _checks(rep),
        "</section>",
        _plots(rep),
        _details(rep),
        _sources(rep),
        "<details id='terminal'><summary>Terminal summary (as `fpgasnn report` prints it)</summary>",
        f"<pre>{_e(terminal_table(rep))}</pre></details>",
        "</main></body></html>\n",
    ]
    return "".join(parts)


__all__ = ["CSS", "html_page"]
