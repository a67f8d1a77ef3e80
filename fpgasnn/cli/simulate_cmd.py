"""``fpgasnn simulate NET.snn INPUTS.npy``: run the golden model and print classes (and scores)."""

from __future__ import annotations

import argparse
import io

import numpy as np

from fpgasnn.backends.plan import write_file_atomic
from fpgasnn.cli.args import input_file, load_images, load_network, output_file, read_npy
from fpgasnn.errors import UsageError
from fpgasnn.golden import simulate


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="run the golden model on images from a .npy file",
        description="Run the NumPy golden model (the reference semantics) on integer images "
        "stored in a .npy file of shape (N, *input_shape).",
    )
    p.add_argument("net", type=input_file, help="the .snn file")
    p.add_argument(
        "inputs", type=input_file, help=".npy file with integer images (N, *input_shape)"
    )
    p.add_argument(
        "--labels",
        type=input_file,
        help=".npy file with N integer labels: also print top-1 accuracy",
    )
    p.add_argument("--scores", action="store_true", help="print every image's output scores")
    p.add_argument(
        "--out", type=output_file(".npz"), help="write scores and classes to this .npz file"
    )
    p.set_defaults(func=run)


def load_labels(path: str, n: int, classes: int, arg: str = "--labels") -> np.ndarray:
    """N integer labels in [0, classes) from the .npy file ``path``."""
    y = read_npy(path, arg).reshape(-1)
    if y.dtype.kind not in "iu":
        raise UsageError(f"{arg} {path!r}: expected integer class labels, got dtype {y.dtype}")
    if len(y) != n:
        raise UsageError(f"{arg} {path!r}: {len(y)} labels for {n} images")
    if len(y) and (int(y.min()) < 0 or int(y.max()) >= classes):
        raise UsageError(
            f"{arg} {path!r}: labels must lie in [0, {classes - 1}], got "
            f"[{int(y.min())}, {int(y.max())}]"
        )
    return y


def run(args: argparse.Namespace) -> int:
    net = load_network(args.net)
    x = load_images(args.inputs, net, "inputs")
    y = load_labels(args.labels, len(x), net.num_classes) if args.labels else None
    res = simulate(net, x)
    for i, c in enumerate(res.classes):
        line = f"{i}\tclass={int(c)}"
        if args.scores:
            line += "\tscores=" + " ".join(str(int(v)) for v in res.scores[i])
        print(line)
    if y is not None:
        print(
            f"top-1: {100.0 * float(np.mean(res.classes == y)):.2f}% on {len(y)} images (golden model)"
        )
    if args.out:
        buf = io.BytesIO()
        np.savez(buf, scores=res.scores, classes=res.classes)
        write_file_atomic(args.out, buf.getvalue())
        print(f"wrote {args.out}")
    return 0
