"""``fpgasnn sweep MODEL -T 1,2,4 --method best,signed_cal --lanes 16,auto128 --board pynq-z2,zcu104
-o sweep/``: a design-space sweep on Dask (:mod:`fpgasnn.sweep`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from fpgasnn.cli.args import count, input_file, method_name, output_dir
from fpgasnn.data import DATASETS
from fpgasnn.sweep.space import (
    DEFAULT_BOARDS,
    DEFAULT_LANES,
    DEFAULT_METHODS,
    DEFAULT_RES_BITS,
    DEFAULT_T,
)


def _list_of(parse: Callable[[str], object], what: str) -> Callable[[str], tuple]:
    def parse_list(text: str) -> tuple:
        items = [t.strip() for t in text.split(",")]
        if not text.strip() or any(not t for t in items):
            raise argparse.ArgumentTypeError(
                f"expected a comma-separated list of {what}, got {text!r}"
            )
        out = tuple(parse(t) for t in items)
        if len(set(out)) != len(out):
            raise argparse.ArgumentTypeError(f"a value repeats in {text!r}")
        return out

    parse_list.__name__ = f"list of {what}"
    return parse_list


def _lanes(text: str) -> str:
    from fpgasnn.errors import FpgasnnError
    from fpgasnn.hw import LanesPolicy

    try:
        LanesPolicy.parse(text)
    except FpgasnnError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def _board(text: str) -> str:
    from fpgasnn.errors import FpgasnnError
    from fpgasnn.sweep.space import board_info

    try:
        board_info(text)
    except FpgasnnError as e:
        raise argparse.ArgumentTypeError(str(e).removeprefix("--board: ")) from None
    return text


def _csv(values) -> str:
    return ",".join(map(str, values))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep",
        help="design-space sweep on Dask: the best core per board and the Pareto front",
        description="Convert, evaluate, cycle-model and synthesise every point of T x method x "
        "resolution bits x lanes x board as a Dask task graph (each conversion once, each "
        "synthesis once per Yosys target), cached on disk so an interrupted sweep resumes; "
        "then the Pareto front (accuracy, latency, LUT) per board and the best fitting point "
        "per board, whose project goes to OUT/best/BOARD/. Writes OUT/sweep.html, "
        "OUT/sweep_points.json (one flat record per point) and OUT/sweep_tasks.json. "
        "Lists are comma-separated (the lanes axis uses ';' between policies that hold commas).",
    )
    p.add_argument("model", type=input_file, help="Keras model file (.h5 / .keras)")
    p.add_argument(
        "--dataset", default="mnist", choices=sorted(DATASETS), help="data set (default mnist)"
    )
    p.add_argument(
        "-T",
        "--steps",
        type=_list_of(count(1, 64), "time steps"),
        default=DEFAULT_T,
        help=f"time steps (default {_csv(DEFAULT_T)})",
    )
    p.add_argument(
        "--method",
        type=_list_of(method_name, "methods"),
        default=DEFAULT_METHODS,
        help=f"conversion methods (default {_csv(DEFAULT_METHODS)})",
    )
    p.add_argument(
        "--lanes",
        default=_csv(DEFAULT_LANES),
        help="lanes policies as `fpgasnn build --lanes` takes them (N, auto[BUDGET], "
        f"LAYER=N,LAYER=N); separate policies by ';' when one holds commas (default {_csv(DEFAULT_LANES)})",
    )
    p.add_argument(
        "--board",
        type=_list_of(_board, "boards"),
        default=DEFAULT_BOARDS,
        help=f"boards: Xilinx or ECP5 board files (default {_csv(DEFAULT_BOARDS)})",
    )
    p.add_argument(
        "--res-target-bits",
        type=_list_of(count(0, 24), "resolution bits"),
        default=DEFAULT_RES_BITS,
        help=f"integer resolution bits (`fpgasnn convert --res-target-bits`; default {_csv(DEFAULT_RES_BITS)})",
    )
    p.add_argument(
        "--taps", default="auto", choices=["auto", "all", "1"], help="parallel taps (default auto)"
    )
    p.add_argument(
        "--calib-images",
        type=count(1, 1_000_000),
        default=512,
        help="calibration images (default 512)",
    )
    p.add_argument(
        "--seed", type=count(0), default=0, help="seed of the calibration draw (default 0)"
    )
    p.add_argument(
        "--test-images",
        type=count(1),
        default=None,
        help="test images for top-1 (default: the whole test split)",
    )
    p.add_argument(
        "--cycle-images",
        type=count(1, 100_000),
        default=100,
        help="test images for the cycle model and energy (default 100)",
    )
    p.add_argument("--no-synth", action="store_true", help="no Yosys: accuracy and latency only")
    p.add_argument(
        "--pnr",
        action="store_true",
        help="also place and route on the ECP5 boards (nextpnr, slow): post-route figures",
    )
    p.add_argument(
        "--scheduler",
        default="local",
        metavar="local|synchronous|ADDRESS",
        help="local (default: a LocalCluster, one worker process per core), synchronous "
        "(one process, for debugging) or a Dask scheduler's address (tcp://HOST:8786)",
    )
    p.add_argument(
        "--workers", type=count(1, 1024), default=None, help="worker processes of the local cluster"
    )
    p.add_argument(
        "--cache", type=output_dir, default=None, help="task cache folder (default OUT/cache)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("-o", "--output", type=output_dir, required=True, help="output folder")
    p.set_defaults(func=run)


def _lanes_axis(text: str) -> tuple[str, ...]:
    from fpgasnn.errors import UsageError

    parts = [
        t.strip() for t in (text.split(";") if ";" in text or "=" in text else text.split(","))
    ]
    if not parts or any(not t for t in parts):
        raise UsageError(f"--lanes: expected a list of lanes policies, got {text!r}")
    for t in parts:
        try:
            _lanes(t)
        except argparse.ArgumentTypeError as e:
            raise UsageError(f"--lanes {t!r}: {e}") from None
    if len(set(parts)) != len(parts):
        raise UsageError(f"--lanes: a policy repeats in {text!r}")
    return tuple(parts)


def run(args: argparse.Namespace) -> int:
    from fpgasnn.errors import UsageError
    from fpgasnn.sweep.run import run_sweep
    from fpgasnn.sweep.space import SweepConfig

    if args.workers is not None and args.scheduler != "local":
        raise UsageError("--workers: only for --scheduler local (a cluster's workers are its own)")

    cfg = SweepConfig(
        dataset=args.dataset,
        T=tuple(args.steps),
        methods=tuple(args.method),
        lanes=_lanes_axis(args.lanes),
        boards=tuple(args.board),
        res_bits=tuple(args.res_target_bits),
        taps=args.taps,
        calib_images=args.calib_images,
        seed=args.seed,
        test_images=args.test_images,
        cycle_images=args.cycle_images,
        synth=not args.no_synth,
        pnr=args.pnr,
    )
    res = run_sweep(
        cfg,
        args.model,
        args.output,
        scheduler=args.scheduler,
        workers=args.workers,
        cache_dir=args.cache,
        progress=not args.no_progress,
    )
    print(summary(res))
    return 0


def summary(res) -> str:
    s = res.stats
    lines = [
        f"sweep: {s['points']} points ({s['points_failed']} failed), {s['tasks']} tasks "
        f"({s['cache_hits']} from the cache, {s['computed']} computed) in {s['wall_s']:.1f} s on "
        f"{s['workers']} worker(s); {s['pareto_points']} points on their board's Pareto front"
    ]
    for board in s["config"]["boards"]:
        r = res.best.get(board)
        if r is None:
            lines.append(f"  {board}: no fitting point")
            continue
        lut = "" if r["LUT"] is None else f", LUT {r['LUT']:,} ({r['LUT_pct']:.1f} %)"
        lines.append(
            f"  {board}: T={r['T']} {r['method_used']} lanes {r['lanes']} res {r['res_bits']}: "
            f"{r['snn_top1_pct']:.2f} %, {r['latency_us']:.2f} us{lut} -> best/{board}/"
        )
    for r in res.records:
        if r["error"] is not None:
            err = " ".join(r["error"].split())
            err = err if len(err) <= 240 else f"{err[:160]} ... {err[-70:]}"
            lines.append(
                f"  FAILED T={r['T']} {r['method']} lanes {r['lanes']} {r['board']}: {err}"
            )
    for k in ("html", "points", "tasks"):
        if k in res.paths:
            lines.append(f"wrote {res.paths[k]}")
    return "\n".join(lines)
