"""The report page's key figures and its table of sources, derived from a report dict (pure functions).

A key figure is one number an engineer looks for first (accuracy, latency, throughput, clock, resources,
energy), set against the board or the goal, with a verdict and the short name of where it came from.
The goals: the quantized ANN's top-1 for accuracy (the SNN should stay within ACCURACY_GOAL_PP of it),
the board's clock for the clock, the board's capacity for resources, the cycle model's lower bounds for
latency and interval. Nothing here measures: every value is read from the report dict.
"""

from __future__ import annotations

from dataclasses import dataclass

OK, WARN, BAD, INFO = "ok", "warn", "bad", "info"
"""Verdicts of a key figure: met, not verified / worse than the goal, failed, no goal to judge by."""

ACCURACY_GOAL_PP = 1.0
"""The SNN's top-1 may sit this many percentage points below the quantized ANN's and still be ``ok``."""

XILINX_KEYS = ("LUT", "FF", "BRAM_18K", "DSP")
ECP5_KEYS = ("LUT4", "FF", "EBR", "MULT18")


@dataclass(frozen=True)
class KeyFigure:
    key: str
    """Stable identifier (``accuracy``, ``latency``, ...), used as the HTML id suffix."""
    label: str
    value: str
    """The number with its unit, as shown."""
    detail: str
    """One or two short sentences: the figure against the board or the goal."""
    status: str
    """One of OK, WARN, BAD, INFO."""
    verdict: str
    """A few words saying the status (``meets 100 MHz``, ``not verified``, ``fits``)."""
    source: str
    """Where the value came from, short (the sources table has the long form)."""


@dataclass(frozen=True)
class ResourceRow:
    key: str
    used: float
    capacity: float | None
    pct: float | None


def _n(v: float) -> str:
    return f"{v:,.0f}"


def _runs(rep: dict) -> list[dict]:
    return list((rep.get("post_route") or {}).get("runs", []))


def current_post_route(rep: dict) -> dict | None:
    """The place-and-route result (``fpgasnn pnr``, placed from the present rtl/) the clock is judged
    by: the one on the report's own board if there is one, else the first by board name. Projects are
    built for Xilinx boards and ``fpgasnn pnr`` places ECP5 parts, so this is usually a proxy part."""
    name = (rep.get("board") or {}).get("name")
    cur = [r for r in _runs(rep) if r.get("current")]
    own = [r for r in cur if r.get("board") == name]
    return (own or sorted(cur, key=lambda r: str(r.get("board"))) or [None])[0]


def _on_own_board(rep: dict, run: dict | None) -> bool:
    return run is not None and run.get("board") == (rep.get("board") or {}).get("name")


def ann_top1(rep: dict) -> float | None:
    """The quantized ANN's top-1 (%), where the flow measured it (``fpgasnn demo``)."""
    model = (rep.get("flow") or {}).get("model") or {}
    v = model.get("ann_q_top1_pct")
    return float(v) if v is not None else None


def accuracy_figure(rep: dict) -> KeyFigure:
    acc = rep.get("accuracy")
    if not acc:
        return KeyFigure(
            "accuracy",
            "Accuracy",
            "not measured",
            "No data set was given (`fpgasnn report --dataset ...`); the other figures use seeded "
            "random images.",
            INFO,
            "not measured",
            "none",
        )
    snn = float(acc["snn_top1_pct"])
    ann = ann_top1(rep)
    where = f"top-1 on {acc['images']:,} {acc['dataset']} test images"
    if ann is None:
        return KeyFigure(
            "accuracy",
            "Accuracy",
            f"{snn:.2f} %",
            f"{where}; the source ANN's accuracy is not in this report, so there is no goal to "
            "compare with.",
            INFO,
            "no goal",
            f"golden model, {acc['images']:,} images",
        )
    gap = snn - ann
    ok = gap >= -ACCURACY_GOAL_PP
    return KeyFigure(
        "accuracy",
        "Accuracy",
        f"{snn:.2f} %",
        f"{where}; quantized ANN {ann:.2f} % ({gap:+.2f} pp; goal: within "
        f"{ACCURACY_GOAL_PP:g} pp).",
        OK if ok else WARN,
        f"{gap:+.2f} pp vs ANN",
        f"golden model, {acc['images']:,} images",
    )


def _rtlsim(rep: dict) -> dict | None:
    r = (rep.get("flow") or {}).get("rtlsim")
    return r if r and r.get("ok") and r.get("cycles_exact") else None


def _latency_source(rep: dict) -> str:
    lat = rep["latency"]
    src = f"cycle model, {lat['images']:,} images"
    sim = _rtlsim(rep)
    if sim:
        src += f"; Verilator cycle-exact on {sim['images']:,}"
    return src


def latency_figure(rep: dict) -> KeyFigure | None:
    lat = rep.get("latency")
    if not lat:
        return None
    mhz = float(rep.get("clock_mhz") or lat["clock_mhz"])
    bound = lat.get("lower_bound_mean")
    parts = [
        f"{_n(lat['cycles_mean'])} cycles at {mhz:g} MHz (mean of {lat['images']:,} images); worst "
        f"{lat['latency_us_worst']:.2f} µs"
    ]
    if bound:
        parts.append(f"{lat['cycles_mean'] / bound:.2f} × the lower bound ({_n(bound)} cycles)")
    pr = current_post_route(rep)
    if pr and "latency_us_mean" in pr:
        parts.append(
            f"{pr['latency_us_mean']:.2f} µs at the post-route fmax {pr['fmax_mhz']:.1f} MHz"
        )
    return KeyFigure(
        "latency",
        "Latency",
        f"{lat['latency_us_mean']:.2f} µs",
        "; ".join(parts) + ".",
        INFO,
        "per image, core empty",
        _latency_source(rep),
    )


def throughput_figure(rep: dict) -> KeyFigure | None:
    lat = rep.get("latency")
    if not lat:
        return None
    mhz = float(rep.get("clock_mhz") or lat["clock_mhz"])
    iv = float(lat["interval_mean"])
    parts = [f"one image every {iv / mhz:.2f} µs ({_n(iv)} cycles) when streamed back to back"]
    bound = lat.get("interval_lower_bound_mean")
    if bound:
        parts.append(f"{iv / bound:.2f} × the lower bound ({_n(bound)} cycles)")
    pr = current_post_route(rep)
    if pr and "images_per_s" in pr:
        parts.append(f"{_n(pr['images_per_s'])} images/s at the post-route fmax")
    return KeyFigure(
        "throughput",
        "Throughput",
        f"{_n(lat['images_per_s'])} images/s",
        "; ".join(parts) + ".",
        INFO,
        f"at {mhz:g} MHz",
        _latency_source(rep),
    )


def clock_figure(rep: dict) -> KeyFigure:
    board = rep.get("board") or {}
    name, part = board.get("name", "?"), board.get("part", "?")
    mhz = rep.get("clock_mhz")
    value = f"{mhz:g} MHz" if isinstance(mhz, int | float) else "?"
    cur = current_post_route(rep)
    if cur:
        met = bool(cur["met"])
        detail = (
            f"Post-route fmax {cur['fmax_mhz']:.1f} MHz on {cur['board']} ({cur['part']}; nextpnr, "
            f"seed {cur['seed']}) {'meets' if met else 'MISSES'} the {cur['clock_mhz']:g} MHz target."
        )
        if not _on_own_board(rep, cur):
            detail += (
                f" A proxy: {name} ({part}) has no open place and route, so `fpgasnn pnr` placed "
                "the same rtl/ on an ECP5 part."
            )
        if not met and cur.get("critical_path"):
            detail += f" Critical path {cur['critical_path']}."
        return KeyFigure(
            "clock",
            "Clock",
            value,
            detail,
            OK if met else BAD,
            f"{'met' if met else 'MISSED'}: fmax {cur['fmax_mhz']:.1f} MHz"
            + ("" if _on_own_board(rep, cur) else f" on {cur['board']}"),
            "nextpnr post-route",
        )
    detail = f"The {value} target of {name} ({part}) is not verified by place and route"
    stale = [r["board"] for r in _runs(rep) if not r.get("current")]
    if stale:
        detail += (
            f": the result in pnr/{stale[0]}/ was placed from an older rtl/ (stale); rerun "
            f"`fpgasnn pnr --board {stale[0]}`"
        )
    else:
        detail += " (`fpgasnn pnr` places the core on an ECP5 part as a proxy)"
    return KeyFigure(
        "clock",
        "Clock",
        value,
        detail + ".",
        WARN,
        "clock not verified by place and route",
        "board file (target)",
    )


def resource_rows(rep: dict) -> tuple[list[ResourceRow], str]:
    """The resource use set against the board's capacity, and its short source. Post-route counts on
    the report's own board win over the Yosys estimate or a vendor report."""
    cap = (rep.get("board") or {}).get("resources") or {}
    cur = current_post_route(rep)
    if _on_own_board(rep, cur):
        rows = [ResourceRow(k, float(cur[k]), cap.get(k), cur["pct"].get(k)) for k in ECP5_KEYS]
        return rows, "nextpnr post-route"
    res = rep.get("resources")
    if not res:
        return [], ""
    rows = []
    for k in XILINX_KEYS:
        if k in res:
            pct = res["pct"].get(k)
            rows.append(
                ResourceRow(k, float(res[k]), cap.get(k), pct if pct != float("inf") else None)
            )
    how = res.get("how", "")
    src = "Yosys estimate (pre-place-and-route)" if how.startswith("Yosys") else how.split(":")[0]
    return rows, src


def resources_figure(rep: dict) -> KeyFigure | None:
    rows, src = resource_rows(rep)
    if not rows:
        return None
    board = (rep.get("board") or {}).get("name", "?")
    known = [r for r in rows if r.pct is not None]
    top = max(known, key=lambda r: r.pct) if known else None
    if any(r.pct > 100.0 for r in known):
        verdict, status = f"DOES NOT FIT {board}", BAD
    elif top is None or len(known) < len(rows):
        missing = ", ".join(r.key for r in rows if r.pct is None)
        verdict, status = f"capacity of {board} unknown for {missing}", WARN
    else:
        verdict, status = f"fits {board}", OK
    detail = ", ".join(f"{r.key} {_n(r.used)}" for r in rows)
    if top is not None:
        detail += f"; the fullest is {top.key}, at {top.pct:.1f} % of the board"
    pr = current_post_route(rep)
    if pr and not _on_own_board(rep, pr):
        detail += f"; post-route on {pr['board']}: " + ", ".join(
            f"{k} {_n(pr[k])} ({pr['pct'][k]:.1f} %)" for k in ECP5_KEYS if k in pr
        )
    return KeyFigure(
        "resources",
        "Resources",
        f"{top.pct:.1f} % {top.key}" if top else detail,
        detail + ".",
        status,
        verdict,
        src,
    )


def energy_figure(rep: dict) -> KeyFigure | None:
    en = rep.get("energy")
    if not en:
        return None
    ratio = en["energy_nj"] / en["ann_energy_nj"] if en.get("ann_energy_nj") else None
    detail = (
        f"{_n(en['sop'])} accumulates + {_n(en['mac'])} first-layer MACs per image; the equal-width "
        f"ANN: {en['ann_energy_nj']:.2f} nJ ({_n(en['ann_mac'])} MACs)"
    )
    return KeyFigure(
        "energy",
        "Energy",
        f"{en['energy_nj']:.2f} nJ/image",
        detail + ".",
        INFO,
        f"{ratio:.2f} × the ANN" if ratio is not None else "no ANN figure",
        "operation counts × 45 nm constants",
    )


def key_figures(rep: dict) -> list[KeyFigure]:
    """The page's first block, in reading order; sections absent from the report are left out (accuracy
    and clock are always there, saying when they were not measured or not verified)."""
    figs = [
        accuracy_figure(rep),
        latency_figure(rep),
        throughput_figure(rep),
        clock_figure(rep),
        resources_figure(rep),
        energy_figure(rep),
    ]
    return [f for f in figs if f is not None]


def checks(rep: dict) -> list[tuple[str, bool, str]]:
    """The flow's steps (``fpgasnn demo``) as (name, ok, summary), in the flow's order."""
    return [
        (name, bool(c.get("ok")), c.get("summary", ""))
        for name, c in (rep.get("flow") or {}).items()
    ]


def source_rows(rep: dict) -> list[dict]:
    """Every figure of the page with its value, short source and how it was obtained, in page order."""
    rows: list[dict] = []
    for f in key_figures(rep):
        how = _how(rep, f.key)
        if rows and rows[-1]["how"] == how and rows[-1]["source"] == f.source:
            rows[-1]["figure"] += f", {f.label.lower()}"
            rows[-1]["value"] += f"; {f.value}"
            continue
        rows.append({"figure": f.label, "value": f.value, "source": f.source, "how": how})
        if f.key == "accuracy" and ann_top1(rep) is not None:
            rows.append(
                {
                    "figure": "Accuracy goal",
                    "value": f"{ann_top1(rep):.2f} %",
                    "source": "quantized ANN (Keras)",
                    "how": "the source model itself on the same test images (`fpgasnn demo` step "
                    f"model): {rep['flow']['model'].get('summary', '')}",
                }
            )
    pr = current_post_route(rep)
    if pr and not _on_own_board(rep, pr):
        rows.append(
            {
                "figure": f"Post-route resources on {pr['board']}",
                "value": f"LUT4 {_n(pr['LUT4'])}",
                "source": "nextpnr post-route",
                "how": rep["post_route"]["how"],
            }
        )
    for name, ok, summary in checks(rep):
        if name in ("csim", "rtlsim"):
            rows.append(
                {
                    "figure": f"check: {name}",
                    "value": "pass" if ok else "FAIL",
                    "source": "g++ C simulation" if name == "csim" else "Verilator RTL simulation",
                    "how": summary,
                }
            )
    if rep.get("spike_rates"):
        acc = rep.get("accuracy")
        rows.append(
            {
                "figure": "Spike rates",
                "value": f"{len(rep['spike_rates'])} layers",
                "source": "golden model",
                "how": "mean spikes per neuron per time step of the golden model on "
                + (
                    f"{acc['images']:,} {acc['dataset']} test images"
                    if acc
                    else "seeded random images"
                ),
            }
        )
    return rows


def _how(rep: dict, key: str) -> str:
    if key == "accuracy":
        return (rep.get("accuracy") or {}).get("how", "no data set given: accuracy not measured")
    if key in ("latency", "throughput"):
        how = rep["latency"]["how"]
        sim = _rtlsim(rep)
        if sim:
            how += (
                f". Checked: Verilator ran {sim['images']:,} images back to back, measured latency and "
                "interval equal the model's"
            )
        return how
    if key == "clock":
        cur = current_post_route(rep)
        if cur:
            return (rep["post_route"]["how"]) + f". {cur['check']}"
        return (
            f"the clock in boards/{(rep.get('board') or {}).get('name', '?')}.json (the target every "
            "latency figure assumes); no current place-and-route result in PROJECT/pnr/"
        )
    if key == "resources":
        if _on_own_board(rep, current_post_route(rep)):
            return rep["post_route"]["how"]
        return rep["resources"]["how"]
    if key == "energy":
        return rep["energy"]["how"]
    return ""
