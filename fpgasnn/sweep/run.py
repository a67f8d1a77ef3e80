"""Run a sweep end to end: the task graph, the records, the Pareto front, the best project per board
and the report (``OUT/sweep.html``, ``OUT/sweep_points.json``, ``OUT/sweep_tasks.json``,
``OUT/best/BOARD/``). The task cache is ``OUT/cache`` unless another folder is given."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fpgasnn.backends.plan import write_file_atomic
from fpgasnn.errors import UsageError
from fpgasnn.sweep.graph import Graph, build_graph, execute, file_sha256
from fpgasnn.sweep.pareto import best_per_board, pareto_flags
from fpgasnn.sweep.space import RESOURCE_KEYS, SweepConfig, board_info

POINTS_FILE = "sweep_points.json"
TASKS_FILE = "sweep_tasks.json"
HTML_FILE = "sweep.html"
RECORD_NONE = (
    "method_used",
    "total_steps",
    "lanes_per_layer",
    "taps_per_layer",
    "target",
    "clock_mhz",
    "clock_from",
    "snn_top1_pct",
    "test_images",
    "latency_cycles",
    "interval_cycles",
    "latency_us",
    "interval_us",
    "images_per_s",
    "energy_nj",
    *RESOURCE_KEYS,
    "resources",
    "fits",
    "fmax_mhz",
    "clock_met",
)


@dataclass
class SweepResult:
    records: list[dict]
    stats: dict
    best: dict[str, dict] = field(default_factory=dict)
    """{board: the record of its best fitting point}."""
    paths: dict[str, Path] = field(default_factory=dict)


def _failed_record(axes: dict, error: str, key: str) -> dict:
    return {**axes, **dict.fromkeys(RECORD_NONE), "error": error, "key": key}


def run_sweep(
    cfg: SweepConfig,
    model: str | Path,
    out: str | Path,
    *,
    scheduler: str = "local",
    workers: int | None = None,
    cache_dir: str | Path | None = None,
    progress: bool = True,
    build_best: bool = True,
    report: bool = True,
) -> SweepResult:
    """Sweep ``cfg`` over the model file ``model`` into the folder ``out`` (module docstring)."""
    cfg.check()
    model = Path(model)
    if not model.is_file():
        raise UsageError(f"model {str(model)!r}: no such file")
    out = Path(out)
    cache = Path(cache_dir) if cache_dir is not None else out / "cache"
    data = model.read_bytes()
    g = build_graph(cfg, model, file_sha256(model))
    t0 = time.perf_counter()
    results, nworkers = execute(
        g, data, cache, scheduler=scheduler, workers=workers, progress=progress
    )
    wall = time.perf_counter() - t0
    out.mkdir(parents=True, exist_ok=True)
    records = []
    for p, key in g.point_keys:
        r = results[key]
        rec = {**r["value"], "key": key} if r["ok"] else _failed_record(p.axes(), r["error"], key)
        records.append(rec)
    for rec, on in zip(records, pareto_flags(records), strict=True):
        rec["pareto"] = on
    best = {b: records[i] for b, i in best_per_board(records).items()}
    task_rows = list(results.values())
    stats = {
        "points": len(records),
        "points_failed": sum(r["error"] is not None for r in records),
        "tasks": len(task_rows),
        "tasks_by_kind": {k: g.count(k) for k in ("convert", "evaluate", "hw", "synth", "pnr")},
        "cache_hits": sum(r["hit"] for r in task_rows),
        "computed": sum((not r["hit"]) and r["ok"] for r in task_rows),
        "failed_tasks": sum(not r["ok"] for r in task_rows),
        "task_seconds": round(sum(r["seconds"] for r in task_rows), 1),
        "wall_s": round(wall, 2),
        "workers": nworkers,
        "scheduler": scheduler,
        "pareto_points": sum(r["pareto"] for r in records),
        "config": {k: v for k, v in asdict(cfg).items()},
        "model": str(model),
    }
    res = SweepResult(records, stats, best)
    if build_best:
        res.paths.update(build_best_projects(best, results, g, out / "best"))
    if report:
        res.paths.update(write_outputs(res, out, results))
    return res


def build_best_projects(
    best: dict[str, dict], results: dict, g: Graph, folder: Path
) -> dict[str, Path]:
    """The project of each board's best point in ``folder/BOARD``, written whole: ``fpgasnn build``'s
    project for a Xilinx board; for an ECP5 board (no HLS project exists for it) the Verilog core
    (``rtl/``, the input of :func:`fpgasnn.pnr.flow.place_and_route`) and ``network.snn``; both with
    ``sweep_point.json``, the point's record."""
    import base64

    from fpgasnn.backends.plan import merge_plans, write_plan
    from fpgasnn.backends.rtl import rtl_plan
    from fpgasnn.sweep.tasks import lowered

    out = {}
    for name, rec in best.items():
        conv_key, _, hw_key = g.nodes[rec["key"]].deps[:3]  # convert, evaluate, hw
        conv, hwv = results[conv_key]["value"], results[hw_key]["value"]
        snn = base64.b64decode(conv["snn_b64"])
        hw = lowered(conv, hwv)  # an ECP5 board's: the ECP5 build (registered write)
        extra = {"sweep_point.json": json.dumps(rec, indent=1, sort_keys=True) + "\n"}
        if board_info(name).is_ecp5:
            plan = merge_plans(
                {f"rtl/{k}": v for k, v in rtl_plan(hw).items()}, {"network.snn": snn}, extra
            )
        else:
            from fpgasnn.backends.hls import project_plan
            from fpgasnn.boards import load_board

            plan = merge_plans(
                project_plan(hw, load_board(name), snn_bytes=snn),
                {f"rtl/{k}": v for k, v in rtl_plan(hw).items()},
                extra,
            )
        write_plan(plan, folder / name, force=True, replace=True)
        out[f"best/{name}"] = folder / name
    return out


def write_outputs(res: SweepResult, out: Path, results: dict) -> dict[str, Path]:
    from fpgasnn.records import check_flat
    from fpgasnn.sweep.report import html_page

    check_flat(res.records)
    points = write_file_atomic(
        out / POINTS_FILE, json.dumps(res.records, indent=1, sort_keys=True) + "\n"
    )
    tasks = write_file_atomic(
        out / TASKS_FILE,
        json.dumps(
            {
                "stats": res.stats,
                "tasks": [
                    {k: r[k] for k in ("key", "kind", "ok", "hit", "seconds", "error")}
                    for r in results.values()
                ],
            },
            indent=1,
            sort_keys=True,
        )
        + "\n",
    )
    page = write_file_atomic(out / HTML_FILE, html_page(res.records, res.stats, res.best))
    return {"points": points, "tasks": tasks, "html": page}


__all__ = ["HTML_FILE", "POINTS_FILE", "TASKS_FILE", "SweepResult", "run_sweep"]
