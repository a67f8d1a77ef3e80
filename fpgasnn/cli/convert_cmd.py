"""``fpgasnn convert``: a Keras / QKeras / Keras 3 or ONNX model -> an integer SNN ``.snn`` file (T steps,
a method). The front end is chosen by :mod:`fpgasnn.frontends` (``.onnx``: ONNX, else Keras).

Every argument is checked before TensorFlow loads. Data (calibration images; for ``evaluate`` also test
images) come from a built-in data set (``--dataset``) or the user's ``--data FILE.npz`` (see
:mod:`fpgasnn.data.userdata` for its layout and the input encoding).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np

from fpgasnn.cli.args import add_data_args, count, fraction, input_path, method_name, output_file
from fpgasnn.convert.snnspec import RES_TARGET_BITS
from fpgasnn.data import DATASETS
from fpgasnn.data.source import DataSource

METHOD_HELP = (
    "conversion method: qcfs (plain, default), fastsnn, casc, cos, cos_static, snncal_light, "
    "snncal_adv, signed_cal, twostage, twostage_signed, or best"
)
MAX_T = 64


def _percentile(text: str) -> float | str:
    if text == "auto":
        return text
    try:
        return fraction("percentile", 100.0)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a number in (0, 100] or auto, got {text!r}"
        ) from None


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
    add_data_args(
        p,
        src,
        use="instead of --dataset: calibration from x_train (or a draw from x), tests on x_test "
        "(or the rest of x)",
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
        "90..100 whose quantized network's outputs are closest to the float one's on them "
        "(mean softmax KL divergence)",
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
    data: DataSource

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def data_name(self) -> str:
        return self.data.name

    @property
    def user(self):
        return self.data.user

    @property
    def calib_idx(self) -> np.ndarray | None:
        return self.data.calib_idx


def input_scale(args: argparse.Namespace) -> float:
    """``--input-scale``, default 1/255."""
    return 1.0 / 255.0 if args.input_scale is None else float(args.input_scale)


def open_source(args: argparse.Namespace) -> Source:
    """Read the user's data file (no TensorFlow), then load the model (TensorFlow, quietly) and read
    how data become its integer input (its input quantizer, if it has one)."""
    from fpgasnn.data.userdata import read_npz
    from fpgasnn.frontends import load_model

    if args.data:
        read_npz(args.data)  # a broken data file is reported before TensorFlow loads
    model = load_model(args.model)
    data = DataSource.for_model(model, input_scale(args), dataset=args.dataset, data=args.data)
    return Source(model, data)


def train_pool(src: Source, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray | None]:
    """The images calibration draws from: the data set's training split, or the user's training set."""
    return src.data.train_pool()


def calib_draw(src: Source, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray | None]:
    """``--calib-images`` images (and labels) drawn with ``--seed``; the indices are kept in ``src``."""
    return src.data.calib_draw(args.calib_images, args.seed)


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
        input_scale=input_scale(args),
        relu_levels=levels,
        relu_percentile=args.relu_percentile,
        calib_source=f"{args.calib_images} images of the {src.data_name} (seed {args.seed})",
    )
    d = src.data
    layers = (replace(fnet.input, bits=d.bits, signed=d.signed), *fnet.layers[1:])
    return FloatNet(layers, meta={**fnet.meta, "source": str(args.model)})


def calibration(src: Source, args: argparse.Namespace):
    """The method's calibration images and labels (None, None if it needs none)."""
    from fpgasnn.calibrate import get_method

    if not get_method(args.method).needs_calibration:
        return None, None
    return calib_draw(src, args)


def data_meta(src: Source, args: argparse.Namespace) -> dict:
    """What the .snn records about the data: where from, how it is encoded, which calibration
    images."""
    meta = src.data.meta()
    if src.calib_idx is not None:
        meta["calibration_seed"] = int(args.seed)
    return meta


def print_input(src: Source) -> None:
    """One line on the input encoding when the model quantizes its own input."""
    enc = src.data.encoding
    if enc.step:
        bits, signed = enc.width
        print(
            f"input encoding: pixels are the codes {enc.lo}..{enc.hi} ({bits}-bit "
            f"{'signed' if signed else 'unsigned'}, each worth {enc.step:g}) of the model's input "
            f"quantizer {enc.quantizer}; it is fed float data as they are, integer data as "
            f"x * {enc.input_scale:g}"
        )


def print_maxpool(fnet) -> None:
    """One line naming the max pooling layers ``--replace-maxpool`` turned into average pooling."""
    names = fnet.meta.get("maxpool_replaced") or []
    if names:
        print(
            f"max pooling replaced by average pooling (--replace-maxpool): "
            f"{', '.join(repr(n) for n in names)}; the ANN float figure of `fpgasnn evaluate` "
            "measures what that costs against your model"
        )


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
    print_input(src)
    print_maxpool(fnet)
    print_relus(fnet)
    if src.calib_idx is not None:
        print(
            f"calibration images: {len(src.calib_idx)} of the {src.data.train_name} "
            f"(seed {args.seed}; indices recorded in the .snn)"
        )
    for n in net.neurons():
        print(f"  {n.name}: {n.kind.value}, theta {n.theta}, membrane {n.membrane_bits} bits")
    print(f"wrote {args.output}")
    return 0
