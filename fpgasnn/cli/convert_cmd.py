"""``fpgasnn convert``: a Keras / QKeras / Keras 3 or ONNX model -> an integer SNN ``.snn`` file (T steps,
a method). The front end is chosen by :mod:`fpgasnn.frontends` (``.onnx``: ONNX, else Keras).

Every argument is checked before TensorFlow loads. Data (calibration images; for ``evaluate`` also test
images) come from a built-in data set (``--dataset``) or the user's ``--data FILE.npz`` (see
:mod:`fpgasnn.data.userdata` for its layout and the input encoding).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

import numpy as np

from fpgasnn.cli.args import count, input_path, method_name, output_file
from fpgasnn.convert.snnspec import RES_TARGET_BITS
from fpgasnn.data import DATASETS

METHOD_HELP = (
    "conversion method: qcfs (plain, default), fastsnn, casc, cos, cos_static, snncal_light, "
    "snncal_adv, signed_cal, twostage, twostage_signed, or best"
)
MAX_T = 64


def _positive_float(name: str, hi: float | None = None):
    def parse(text: str) -> float:
        try:
            v = float(eval_fraction(text))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not (math.isfinite(v) and v > 0 and (hi is None or v <= hi)):
            rng = f"in (0, {hi:g}]" if hi is not None else "> 0"
            raise argparse.ArgumentTypeError(f"expected a number {rng}, got {text!r}")
        return v

    parse.__name__ = name
    return parse


def _percentile(text: str) -> float | str:
    if text == "auto":
        return text
    try:
        return _positive_float("percentile", 100.0)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a number in (0, 100] or auto, got {text!r}"
        ) from None


def eval_fraction(text: str) -> float:
    """``"0.5"``, ``"1/255"``: a number or a fraction of two numbers."""
    if "/" in text:
        a, b = text.split("/", 1)
        return float(a) / float(b)
    return float(text)


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "model",
        type=input_path,
        help="Keras model file (.h5 or .keras, tf_keras/QKeras or Keras 3), SavedModel, or "
        "ONNX model file (.onnx: PyTorch via torch.onnx, Brevitas via QONNX)",
    )
    p.add_argument("--method", default="qcfs", type=method_name, help=METHOD_HELP)
    p.add_argument(
        "--weight-bits", type=count(2, 16), default=8, help="integer weight bits (default 8)"
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--dataset",
        default="mnist",
        choices=sorted(DATASETS),
        help="data set (calibration images come from its TRAINING split; default mnist)",
    )
    src.add_argument(
        "--data",
        type=input_path,
        default=None,
        metavar="FILE.npz",
        help="your own data instead of --dataset: arrays x, y (or x_train, y_train, "
        "x_test, y_test); images NHWC or NCHW, uint8 or float (see --input-scale)",
    )
    p.add_argument(
        "--input-scale",
        type=_positive_float("input_scale"),
        default=1.0 / 255.0,
        metavar="S",
        help="the model sees pixels * S (default 1/255: models trained on "
        "x / 255); float data are encoded as round(x / S)",
    )
    p.add_argument(
        "--calib-images",
        type=count(1, 1_000_000),
        default=512,
        help="calibration images drawn from the training data (default 512)",
    )
    p.add_argument(
        "--seed", type=count(0), default=0, help="seed of the calibration draw (default 0)"
    )
    p.add_argument(
        "--relu-levels",
        type=count(1, 256),
        default=None,
        metavar="L",
        help="levels of the quantizer that replaces each plain (float) ReLU (default: T)",
    )
    p.add_argument(
        "--relu-percentile",
        type=_percentile,
        default="auto",
        metavar="P|auto",
        help="a plain ReLU's threshold is the P-th percentile of its positive outputs on "
        "the calibration images; auto (default): per layer, the percentile among "
        "95..100 whose quantized network agrees best with the float one on them",
    )
    p.add_argument(
        "--replace-maxpool",
        action="store_true",
        help="replace MaxPooling2D by average pooling (accuracy may drop; measure it)",
    )
    p.add_argument(
        "--res-target-bits",
        type=count(0, 24),
        default=RES_TARGET_BITS,
        metavar="B",
        help="integer resolution: hidden layers are rounded at units fine enough for their "
        f"threshold to reach 2**B (default {RES_TARGET_BITS}; 0: plain units, narrower "
        "membranes, the integer SNN then strays further from the float one)",
    )


@dataclass
class Source:
    """The model and the data a convert/evaluate run works on, read once."""

    model: object
    input_shape: tuple[int, ...]
    data_name: str
    calib_pool: tuple[np.ndarray, np.ndarray | None] | None = None
    calib_pool_name: str = ""
    user: object = None
    bits: int = 8
    signed: bool = False
    calib_idx: np.ndarray | None = None


def open_source(args: argparse.Namespace) -> Source:
    """Read the user's data file (no TensorFlow), then load the model (TensorFlow, quietly)."""
    from fpgasnn.data.userdata import read_npz
    from fpgasnn.frontends import input_shape, load_model

    user = read_npz(args.data) if args.data else None
    model = load_model(args.model)
    shape = input_shape(model)
    name = f"data file {args.data}" if user is not None else args.dataset
    return Source(model, shape, name, user=user)


def _encode(src: Source, x: np.ndarray, what: str, scale: float) -> np.ndarray:
    from fpgasnn.data.userdata import encode, to_layout

    x = to_layout(x, src.input_shape, what)
    q, bits, signed = encode(x, scale, what)
    src.bits, src.signed = max(src.bits, bits), src.signed or signed
    return q


def train_pool(src: Source, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray | None]:
    """The images calibration draws from: the data set's training split, or the user's training set."""
    if src.calib_pool is None:
        if src.user is not None:
            u = src.user
            key = "x_train" if u.split else "x"
            x = _encode(src, u.x_train, f"--data {args.data} ({key!r})", args.input_scale)
            src.calib_pool, src.calib_pool_name = (x, u.y_train), f"{args.data} {key!r}"
        else:
            from fpgasnn.data import load_dataset
            from fpgasnn.data.userdata import to_layout

            x, y = load_dataset(args.dataset, "train")
            x = to_layout(np.asarray(x), src.input_shape, f"data set {args.dataset!r}")
            src.calib_pool, src.calib_pool_name = (x, y), f"{args.dataset} training split"
    return src.calib_pool


def calib_draw(src: Source, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray | None]:
    """``--calib-images`` images (and labels) drawn with ``--seed``; the indices are kept in ``src``."""
    x, y = train_pool(src, args)
    n = min(int(args.calib_images), len(x))
    idx = np.sort(np.random.default_rng(args.seed).choice(len(x), size=n, replace=False))
    src.calib_idx = idx
    return x[idx], (None if y is None else y[idx])


def read_floatnet(src: Source, args: argparse.Namespace, T: int):
    """The model as a FloatNet (plain ReLUs with ``--relu-levels``, default T, calibrated on the draw)."""
    from dataclasses import replace

    from fpgasnn.convert.floatnet import FloatNet
    from fpgasnn.frontends import to_floatnet

    if src.user is not None:
        train_pool(src, args)  # encoded first: the input width may exceed 8 bits
    levels = args.relu_levels or T
    fnet = to_floatnet(
        src.model,
        calib_images=lambda: calib_draw(src, args)[0],
        replace_maxpool=args.replace_maxpool,
        input_scale=args.input_scale,
        relu_levels=levels,
        relu_percentile=args.relu_percentile,
        calib_source=f"{args.calib_images} images of the {src.data_name} (seed {args.seed})",
    )
    layers = (replace(fnet.input, bits=src.bits, signed=src.signed), *fnet.layers[1:])
    return FloatNet(layers, meta={**fnet.meta, "source": str(args.model)})


def calibration(src: Source, args: argparse.Namespace):
    """The method's calibration images and labels (None, None if it needs none)."""
    from fpgasnn.calibrate import get_method

    if not get_method(args.method).needs_calibration:
        return None, None
    return calib_draw(src, args)


def data_meta(src: Source, args: argparse.Namespace) -> dict:
    """What the .snn records about the data: where from, and which calibration images."""
    meta = {
        "dataset": args.dataset if src.user is None else "",
        "data_file": str(args.data) if src.user is not None else "",
        "input_scale": float(args.input_scale),
    }
    if src.calib_idx is not None:
        meta["calibration_source"] = src.calib_pool_name
        meta["calibration_seed"] = int(args.seed)
        meta["calibration_indices"] = [int(i) for i in src.calib_idx]
    return meta


def print_relus(fnet) -> None:
    lams = fnet.meta.get("relu_thresholds", {})
    if lams:
        how = "chosen per layer" if fnet.meta["relu_percentile"] == "auto" else "given"
        print(
            f"plain ReLU thresholds (percentile {how}, of the positive outputs on "
            f"{fnet.meta['relu_calibration_source']}; {fnet.meta['relu_levels']} levels):"
        )
        for name, lam in lams.items():
            print(f"  {name}: {lam:.6g} ({fnet.meta['relu_percentiles'][name]:g}th percentile)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "convert",
        help="convert a Keras or ONNX model into an integer SNN (.snn)",
        description="Convert a Keras/QKeras/Keras 3 or ONNX model (quantized activations, or "
        "float ReLUs calibrated on data) into an integer SNN with T time "
        "steps and write it as a .snn file.",
    )
    add_common(p)
    p.add_argument(
        "-T", "--steps", type=count(1, MAX_T), default=4, help="wake time steps T (default 4)"
    )
    p.add_argument(
        "-o", "--output", type=output_file(".snn"), required=True, help=".snn file to write"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fpgasnn.convert.pipeline import convert
    from fpgasnn.ir.serialize import save

    src = open_source(args)
    fnet = read_floatnet(src, args, args.steps)
    cx, cy = calibration(src, args)
    net = convert(
        fnet,
        args.steps,
        args.method,
        calib=cx,
        calib_labels=cy,
        weight_bits=args.weight_bits,
        seed=args.seed,
        res_target_bits=args.res_target_bits,
    )
    net = net.with_meta(source=str(args.model), **data_meta(src, args))
    save(net, args.output)
    s = net.schedule
    print(
        f"converted {args.model} ({fnet.meta['frontend']}) with {net.meta['method']}: T={s.wake} "
        f"(presim {s.presim}, sleep {s.sleep}, total {s.total} steps), {args.weight_bits}-bit "
        f"weights, calibration {net.meta.get('calib_s', 0.0):.1f} s"
    )
    print_relus(fnet)
    if src.calib_idx is not None:
        print(
            f"calibration images: {len(src.calib_idx)} of the {src.calib_pool_name} "
            f"(seed {args.seed}; indices recorded in the .snn)"
        )
    for n in net.neurons():
        print(f"  {n.name}: {n.kind.value}, theta {n.theta}, membrane {n.membrane_bits} bits")
    print(f"wrote {args.output}")
    return 0
