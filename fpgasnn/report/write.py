"""Write a project's report files: report.json and report.html (deterministic for the same inputs)."""

from __future__ import annotations

import json
from pathlib import Path

from fpgasnn.report import sources
from fpgasnn.report.collect import ReportOptions, collect
from fpgasnn.report.postroute import post_route_section
from fpgasnn.report.render import html_page, terminal_table


def write_report(
    project_dir: str | Path,
    opts: ReportOptions,
    out_dir: str | Path | None = None,
    extra: dict | None = None,
) -> tuple[dict, list[Path], str]:
    """Collect, then write report.json and report.html; ``extra`` sections (e.g. the demo's ``flow``:
    step name -> {ok, summary, ...}) are added before writing."""
    rep = collect(
        project_dir,
        opts,
        latency=sources.latency_section(),
        resources=sources.resources_section_fn(),
    )
    post_route = post_route_section(project_dir, rep)
    if post_route:
        rep["post_route"] = post_route
    rep.update(extra or {})
    out = Path(out_dir) if out_dir else Path(project_dir) / "report"
    out.mkdir(parents=True, exist_ok=True)
    pj = out / "report.json"
    write_json(rep, pj)
    ph = out / "report.html"
    ph.write_text(html_page(rep))
    return rep, [pj, ph], terminal_table(rep)


def write_json(rep: dict, path: Path) -> None:
    """``rep`` as sorted, indented JSON (NumPy scalars and arrays as plain numbers and lists)."""
    path.write_text(json.dumps(rep, indent=1, sort_keys=True, default=_jsonable) + "\n")


def _jsonable(o):
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serializable: {type(o).__name__}")
