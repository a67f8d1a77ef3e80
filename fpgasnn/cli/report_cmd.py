"""``fpgasnn report PRJ/``: one report per project -- JSON, an HTML page with plots, a terminal table."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

from fpgasnn.cli.args import count, input_file, output_dir, project_dir
from fpgasnn.data import DATASETS
from fpgasnn.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="write the project's report (JSON + HTML) and print a summary",
        description="Accuracy (golden model on a data set's test split), latency and "
        "throughput (RTL cycle model), resources (Yosys synth_xilinx estimate, "
        "or Vitis/Vivado reports found in the project), energy estimate.",
    )
    p.add_argument("project", type=project_dir, help="project folder written by `fpgasnn build`")
    p.add_argument(
        "--dataset",
        choices=sorted(DATASETS),
        help="data set for accuracy and spike rates (mnist, fashion_mnist, digits)",
    )
    p.add_argument(
        "-n", "--images", type=count(1), default=10000, help="images for accuracy (default 10000)"
    )
    p.add_argument(
        "--cycle-images",
        type=count(1, 100_000),
        default=100,
        help="images the cycle model and energy counts average over (default 100)",
    )
    p.add_argument("--no-synth", action="store_true", help="skip the Yosys resource estimate")
    p.add_argument(
        "--accuracy-json",
        type=input_file,
        help="records (method, T, snn_top1_pct) for the accuracy-vs-T plot, "
        "e.g. from `fpgasnn evaluate --json` or bench/results/conversion.json",
    )
    p.add_argument("-o", "--out", type=output_dir, help="output folder (default: PROJECT/report)")
    p.set_defaults(func=run)


def _records(path: str | None, dataset: str | None) -> tuple[dict, ...]:
    if not path:
        return ()
    try:
        recs = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise UsageError(f"--accuracy-json {path!r}: cannot read accuracy records: {e}") from None
    if not isinstance(recs, list):
        raise UsageError(f"--accuracy-json {path!r}: expected a JSON list of records")
    keep = []
    for r in recs:
        if isinstance(r, dict) and {"T", "snn_top1_pct"} <= set(r):
            if dataset and r.get("dataset") not in (None, dataset):
                continue
            keep.append(
                {"method": r.get("method", "snn"), "T": r["T"], "snn_top1_pct": r["snn_top1_pct"]}
            )
    return tuple(keep)


def run(args: argparse.Namespace) -> int:
    from fpgasnn.report.collect import ReportOptions
    from fpgasnn.report.write import write_report

    records = _records(args.accuracy_json, args.dataset)
    opts = ReportOptions(
        dataset=args.dataset,
        images=args.images,
        cycle_images=args.cycle_images,
        synth=not args.no_synth,
        accuracy_records=records,
    )
    out = Path(args.out) if args.out else Path(args.project) / "report"
    out.mkdir(parents=True, exist_ok=True)
    # written beside the old files, then renamed over them: an interrupted run leaves the old pair
    stage = Path(tempfile.mkdtemp(prefix=".report-", dir=out))
    try:
        _, paths, table = write_report(args.project, opts, stage)
        final = [out / p.name for p in paths]
        for p, f in zip(paths, final, strict=False):
            os.replace(p, f)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    print(table)
    for p in final:
        print(f"wrote {p}")
    return 0
