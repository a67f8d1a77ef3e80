"""Write a project's report files: report.json and report.html (deterministic for the same inputs)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from fpgasnn.report import sources
from fpgasnn.report.collect import ReportOptions, collect
from fpgasnn.report.page import html_page
from fpgasnn.report.postroute import post_route_section
from fpgasnn.report.render import terminal_table


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
    write_text_atomic(ph, html_page(rep))
    return rep, [pj, ph], terminal_table(rep)


def write_json(rep: dict, path: Path) -> None:
    """``rep`` as sorted, indented JSON (NumPy scalars and arrays as plain numbers and lists)."""
    write_text_atomic(path, json.dumps(rep, indent=1, sort_keys=True, default=_jsonable) + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    """``text`` (UTF-8) to ``path``, written beside it and renamed: ``path`` is old or new, never half."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a report is for reading
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _jsonable(o):
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serializable: {type(o).__name__}")
