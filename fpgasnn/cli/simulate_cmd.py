"""``fpgasnn simulate NET.snn INPUTS.npy``: run the golden model and print classes (and scores)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from fpgasnn.errors import SimulationError
from fpgasnn.golden import simulate
from fpgasnn.ir import load


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="run the golden model on images from a .npy file",
                       description="Run the NumPy golden model (the reference semantics) on integer images "
                                   "stored in a .npy file of shape (N, *input_shape).")
    p.add_argument("net", help="the .snn file")
    p.add_argument("inputs", help=".npy file with integer images (N, *input_shape)")
    p.add_argument("--labels", help=".npy file with N integer labels: also print top-1 accuracy")
    p.add_argument("--scores", action="store_true", help="print every image's output scores")
    p.add_argument("--out", help="write scores and classes to this .npz file")
    p.set_defaults(func=run)


def _load_npy(path: str, what: str) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise SimulationError(f"{path}: no such {what} file") from None
    except (ValueError, OSError) as e:
        raise SimulationError(f"{path}: not a readable .npy {what} file ({e})") from None


def run(args: argparse.Namespace) -> int:
    net = load(args.net)
    x = _load_npy(args.inputs, "inputs")
    res = simulate(net, x)
    for i, c in enumerate(res.classes):
        line = f"{i}\tclass={int(c)}"
        if args.scores:
            line += "\tscores=" + " ".join(str(int(v)) for v in res.scores[i])
        print(line)
    if args.labels:
        y = _load_npy(args.labels, "labels").reshape(-1)
        if len(y) != len(res.classes):
            raise SimulationError(f"{args.labels}: {len(y)} labels for {len(res.classes)} images")
        print(f"top-1: {100.0 * float(np.mean(res.classes == y)):.2f}% on {len(y)} images (golden model)")
    if args.out:
        np.savez(Path(args.out), scores=res.scores, classes=res.classes)
    return 0
