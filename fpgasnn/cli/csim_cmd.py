"""``fpgasnn csim PRJ/``: compile the project's C++ with g++, run a batch of images, compare bit-exactly
with the golden model (scores, class and every layer's spikes at every step)."""

from __future__ import annotations

import argparse

from fpgasnn.cli.args import (
    add_data_args,
    count,
    input_file,
    keep_work_dir,
    project_dir,
    project_network,
    simulation_images,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "csim",
        help="C-simulate a built project with g++ and compare it with the golden model",
        description="Compile the project's HLS C++ and test bench with g++ (ap_int headers from the "
        "installed hls4ml), run all images in one process and compare with the golden "
        "model bit-exactly: scores, class and (unless --no-trace) every neuron layer's "
        "spikes at every time step. Exit status 1 on any mismatch.",
    )
    p.add_argument("project", type=project_dir, help="project folder written by `fpgasnn build`")
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "-n",
        "--images",
        type=count(1, 1_000_000),
        default=None,
        help="how many images: seeded random ones in the input range, or the first N of --data "
        "(default 100)",
    )
    src.add_argument(
        "--inputs", type=input_file, help=".npy file of integer pixels (N, *input_shape), all used"
    )
    add_data_args(
        p,
        use="simulates x_test (else x), encoded as the .snn records (see `fpgasnn inspect`)",
        scale_default="as the .snn records",
    )
    p.add_argument("--seed", type=count(0), default=0, help="seed of the random images (default 0)")
    p.add_argument("--no-trace", action="store_true", help="compare scores and class only (faster)")
    p.add_argument(
        "--strict",
        action="store_true",
        help="ap_int arithmetic everywhere, also for currents and membranes (slower)",
    )
    p.add_argument(
        "-j",
        "--threads",
        type=count(1, 256),
        default=1,
        help="simulate on this many threads in the one process (untraced runs; default 1)",
    )
    p.add_argument(
        "--keep-work",
        action="store_true",
        help="keep the scratch folder (compiled simulator, vectors); print where it is",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from fpgasnn.backends.hls.csim import run_csim

    _, net = project_network(args.project)
    # before the g++ compile
    images, labels, n, what = simulation_images(args, net, default_n=100)
    with keep_work_dir(args.keep_work, "fpgasnn_csim_") as work:
        res = run_csim(
            args.project,
            images,
            n=n,
            seed=args.seed,
            trace=not args.no_trace,
            strict=args.strict,
            threads=args.threads,
            workdir=work,
        )
    how = "scores, class and per-step spikes" if res.traced else "scores and class"
    print(f"inputs: {what}")
    print(
        f"csim: {res.images} images, {how} compared with the golden model"
        f"{' (strict ap_int build)' if res.strict else ''}"
    )
    print(f"compile {res.compile_s:.1f} s, run {res.run_s:.3f} s, {res.images_per_s:.0f} images/s")
    for w in res.warnings:
        print(f"warning in generated code: {w}")
    if labels is not None:
        top1 = 100.0 * float(np.mean(np.asarray(res.classes) == labels))
        print(f"top-1 on the file's labels: {top1:.2f} % ({len(labels)} images)")
    if res.ok:
        print("bit-exact: 0 mismatches")
        return 0
    print(f"MISMATCH: {res.mismatches} of {res.images} images differ; first: {res.first_mismatch}")
    return 1
