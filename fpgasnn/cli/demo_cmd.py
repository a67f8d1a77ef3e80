"""``fpgasnn demo``: the end-to-end demo on MNIST (see :mod:`fpgasnn.flow` for the steps)."""

from __future__ import annotations

import argparse
import sys
import time

from fpgasnn.cli.args import (
    add_data_args,
    board_name,
    count,
    input_file,
    method_name,
    nonnegative,
    output_dir,
)
from fpgasnn.data import DATASETS
from fpgasnn.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run the end-to-end demo: model -> SNN -> project -> csim/rtlsim/synth -> report",
        description="Train (first run; cached afterwards) or load the reference model, convert it at T "
        "steps with the best calibration, build the project for the board, check it by C "
        "simulation and Verilator RTL simulation against the golden model, synthesize the "
        "Verilog with Yosys, and write the report. Exit status 1 if any check fails.",
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--dataset",
        default="mnist",
        choices=sorted(DATASETS),
        help="mnist (default), fashion_mnist or digits",
    )
    add_data_args(
        p,
        src,
        use="instead of --dataset, with --model: calibration from x_train (or a draw from x), "
        "tests and simulations on x_test (or the rest of x); the report then has no accuracy "
        "section (it reads built-in data sets only)",
    )
    p.add_argument(
        "--replace-maxpool",
        action="store_true",
        help="replace MaxPooling2D by average pooling (accuracy may drop; measure it)",
    )
    p.add_argument(
        "-T", "--steps", type=count(1, 64), default=4, help="wake time steps (default 4)"
    )
    p.add_argument(
        "--method", default="best", type=method_name, help="conversion method (default best)"
    )
    p.add_argument("--board", default="pynq-z2", type=board_name, help="board (default pynq-z2)")
    p.add_argument(
        "--lanes",
        action="append",
        default=[],
        metavar="N|LAYER=N|autoB|fitPCT",
        help="lanes per layer, as for `fpgasnn build` (default for the mnist reference model on "
        "pynq-z2: conv1=16,conv2=16,fc3=128,logits=10, measured to fit it; otherwise fit: the "
        "fastest lanes and taps whose estimated LUTs and BRAMs fill at most 90 %% of the board)",
    )
    p.add_argument(
        "--sparsity",
        type=nonnegative,
        default=None,
        help="activation-sparsity weight of the reference model (default 0.01 for mnist, 0 for the "
        "others; `fpgasnn train --sparsity`): fewer spikes, so fewer core cycles; 0: the reference "
        "model trained without it",
    )
    p.add_argument(
        "--res-target-bits",
        type=count(0, 24),
        default=None,
        metavar="B",
        help="integer resolution, as for `fpgasnn convert` (default 0: plain units, the narrowest "
        "membranes; 17 follows the float model more closely, with a larger core)",
    )
    p.add_argument(
        "--csim-images",
        type=count(1, 10_000),
        default=200,
        help="test images for C simulation (200)",
    )
    p.add_argument(
        "--rtlsim-images",
        type=count(1, 10_000),
        default=20,
        help="test images for RTL simulation (20)",
    )
    p.add_argument(
        "--model",
        type=input_file,
        help="a Keras or ONNX (.onnx) model file instead of the cached reference model",
    )
    p.add_argument(
        "-o",
        "--output",
        default="demo_out",
        type=output_dir,
        help="output folder (default demo_out)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from fpgasnn.cli.build_cmd import parse_lanes
    from fpgasnn.flow import (
        DEMO_LANES,
        DEMO_RES_TARGET_BITS,
        STEPS,
        FlowConfig,
        reference_spec,
        run_flow,
    )
    from fpgasnn.hw import HwConfig

    if args.data and not args.model:
        raise UsageError(
            "--data needs --model (the reference model is trained on the built-in data sets only)"
        )
    if args.data:
        from fpgasnn.data.userdata import read_npz

        read_npz(args.data)  # a broken data file is reported now, not after TensorFlow loads
    if args.model and args.sparsity is not None:
        raise UsageError("--sparsity sets how the reference model is trained; not with --model")
    lanes = parse_lanes(args.lanes)
    if lanes is None:
        hand = DEMO_LANES.get(args.dataset) if not args.model and args.board == "pynq-z2" else None
        lanes = hand or "fit"
    HwConfig.make(lanes)  # a bad lanes policy is reported now, not after training and conversion
    cfg = FlowConfig(
        dataset=args.dataset,
        T=args.steps,
        method=args.method,
        board=args.board,
        lanes=lanes,
        csim_images=args.csim_images,
        rtlsim_images=args.rtlsim_images,
        model=args.model,
        model_spec=None if args.model else reference_spec(args.dataset, args.sparsity),
        data=args.data,
        input_scale=1.0 / 255.0 if args.input_scale is None else args.input_scale,
        replace_maxpool=args.replace_maxpool,
        res_target_bits=(
            DEMO_RES_TARGET_BITS if args.res_target_bits is None else args.res_target_bits
        ),
    )
    tty = sys.stdout.isatty()  # in a log file: the step lines only, no progress-bar redraws
    bar = tqdm(
        total=len(STEPS),
        unit="step",
        desc="fpgasnn demo",
        file=sys.stdout,
        dynamic_ncols=True,
        disable=not tty,
    )
    t0 = time.perf_counter()

    def on_step(name, result):
        if result is None:
            bar.set_description(f"fpgasnn demo: {name}")
            return
        status = "ok  " if result.ok else "FAIL"
        bar.write(
            f"[{name:7s}] {status} {result.seconds:6.1f} s  {result.summary}", file=sys.stdout
        )
        bar.update(1)

    records = run_flow(cfg, args.output, progress=tty, on_step=on_step)
    bar.close()
    failed = [n for n, r in records.items() if not r.ok]
    print(
        f"\nfpgasnn demo: {len(records)} steps in {time.perf_counter() - t0:.0f} s; "
        + ("every check passed" if not failed else f"FAILED: {', '.join(failed)}")
    )
    g, m = records["golden"].data, records["model"].data
    print(
        f"  accuracy : the model {m['ann_q_top1_pct']:.2f} %, integer SNN {g['snn_top1_pct']:.2f} % "
        f"(T={records['convert'].data['T']}, {records['convert'].data['total_steps']} steps in all)"
    )
    print(f"  report   : {records['report'].summary}")
    print(f"  JSON     : {records['report'].data['json']}")
    return 1 if failed else 0
