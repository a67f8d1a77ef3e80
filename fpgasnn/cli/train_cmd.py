"""``fpgasnn train``: quantization-aware training of a reference CNN (conv + BN + ClipFloorShift + avgpool +
dense) on a built-in data set; prints the wall time and the full-test-set top-1."""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict
from pathlib import Path

from fpgasnn.cli.args import nonnegative
from fpgasnn.data import DATASETS


def _conv_list(text: str) -> tuple[int, ...]:
    try:
        chans = tuple(int(c) for c in text.split(",") if c.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated channel counts, got {text!r}"
        ) from None
    if not chans or min(chans) < 1:
        raise argparse.ArgumentTypeError(f"expected positive channel counts, got {text!r}")
    return chans


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a reference quantized CNN (QCFS) on mnist, fashion_mnist or digits",
        description="Train the reference CNN of a data set with ClipFloorShift activations (L levels, "
        "trainable thresholds) and save it as a tf_keras model (.h5 or .keras).",
    )
    p.add_argument(
        "--dataset", default="mnist", choices=sorted(DATASETS), help="data set (default mnist)"
    )
    p.add_argument(
        "-o", "--output", type=Path, required=True, help="model file to write (.h5 or .keras)"
    )
    p.add_argument("-L", "--levels", type=int, default=None, help="quantization levels (default 4)")
    p.add_argument(
        "--epochs", type=int, default=None, help="epochs (default: the data set's reference)"
    )
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument(
        "--lr", type=float, default=None, help="initial Adam learning rate (cosine decay)"
    )
    p.add_argument("--conv", type=_conv_list, default=None, help="conv channels, e.g. 16,32")
    p.add_argument("--hidden", type=int, default=None, help="hidden dense units")
    p.add_argument(
        "--floor", action="store_true", help="CASC floor quantizer (shift 0) instead of QCFS (0.5)"
    )
    p.add_argument(
        "--noise-p",
        type=float,
        default=None,
        help="noisy quantization (dual-phase Stage I): pass-through probability, e.g. 0.1",
    )
    p.add_argument(
        "--sparsity",
        type=nonnegative,
        default=None,
        help="activation-sparsity loss per 1,000 spikes per image (fewer synaptic events, so "
        "fewer core cycles; e.g. 0.02; default 0)",
    )
    p.add_argument(
        "--train-images", type=int, default=None, help="use only the first N training images"
    )
    p.add_argument("--seed", type=int, default=None)
    p.add_argument(
        "--threads", type=int, default=None, help="TensorFlow threads (default: TF's choice)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fpgasnn.keras.train import default_spec, train_model

    overrides = {
        k: v
        for k, v in {
            "levels": args.levels,
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "learning_rate": args.lr,
            "conv": args.conv,
            "hidden": args.hidden,
            "noise_p": args.noise_p,
            "sparsity": args.sparsity,
            "train_images": args.train_images,
            "seed": args.seed,
            "shift": 0.0 if args.floor else None,
        }.items()
        if v is not None
    }
    spec = default_spec(args.dataset, **overrides)
    settings = ", ".join(f"{k}={v}" for k, v in asdict(spec).items())
    print(f"training {spec.dataset} reference CNN: {settings}", flush=True)
    t0 = time.perf_counter()
    result = train_model(spec, args.output, progress=not args.no_progress, threads=args.threads)
    wall = time.perf_counter() - t0
    print(
        f"training time {result.seconds:.1f} s (wall time of the command {wall:.1f} s, "
        f"including data loading, TensorFlow start and test)"
    )
    print(
        f"test top-1 {result.test_top1_pct:.2f} % on {result.test_images} {spec.dataset} test images "
        f"(quantized ANN, L={spec.levels})"
    )
    print(f"saved {result.path}")
    return 0
