"""``fpgasnn convert``: a Keras/QKeras model -> an integer SNN ``.snn`` file (T steps, a method)."""

from __future__ import annotations

import argparse
from pathlib import Path

from fpgasnn.convert.snnspec import RES_TARGET_BITS
from fpgasnn.data import DATASETS

METHOD_HELP = ("conversion method: qcfs (plain, default), fastsnn, casc, cos, cos_static, snncal_light, "
               "snncal_adv, signed_cal, twostage, twostage_signed, or best")


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", type=Path, help="Keras model file (.h5 or .keras)")
    p.add_argument("--method", default="qcfs", help=METHOD_HELP)
    p.add_argument("--weight-bits", type=int, default=8, help="integer weight bits (default 8)")
    p.add_argument("--dataset", default="mnist", choices=sorted(DATASETS),
                   help="data set (calibration images come from its TRAINING split; default mnist)")
    p.add_argument("--calib-images", type=int, default=512,
                   help="calibration images drawn from the training split (default 512)")
    p.add_argument("--seed", type=int, default=0, help="seed of the calibration draw (default 0)")
    p.add_argument("--res-target-bits", type=int, default=RES_TARGET_BITS, metavar="B",
                   help="integer resolution: hidden layers are rounded at units fine enough for their "
                        f"threshold to reach 2**B (default {RES_TARGET_BITS}; 0: plain units, narrower "
                        "membranes, the integer SNN then strays further from the float one)")


def load_floatnet(path: Path):
    from fpgasnn.keras.frontend import from_keras

    return from_keras(path)


def calibration(args: argparse.Namespace):
    from fpgasnn.calibrate import get_method
    from fpgasnn.calibrate.common import pick_calibration
    from fpgasnn.data import load_dataset

    if not get_method(args.method).needs_calibration:
        return None, None
    x, y = load_dataset(args.dataset, "train")
    return pick_calibration(x, y, args.calib_images, args.seed)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("convert", help="convert a quantized Keras model into an integer SNN (.snn)",
                       description="Convert a Keras/QKeras model with clip-floor-shift activations into "
                                   "an integer SNN with T time steps and write it as a .snn file.")
    add_common(p)
    p.add_argument("-T", "--steps", type=int, default=4, help="wake time steps T (default 4)")
    p.add_argument("-o", "--output", type=Path, required=True, help=".snn file to write")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fpgasnn.convert.pipeline import convert
    from fpgasnn.ir.serialize import save

    fnet = load_floatnet(args.model)
    cx, cy = calibration(args)
    net = convert(fnet, args.steps, args.method, calib=cx, calib_labels=cy,
                  weight_bits=args.weight_bits, seed=args.seed, res_target_bits=args.res_target_bits)
    net = net.with_meta(source=str(args.model), dataset=args.dataset)
    save(net, args.output)
    s = net.schedule
    print(f"converted {args.model} with {net.meta['method']}: T={s.wake} (presim {s.presim}, "
          f"sleep {s.sleep}, total {s.total} steps), {args.weight_bits}-bit weights, "
          f"calibration {net.meta.get('calib_s', 0.0):.1f} s")
    for n in net.neurons():
        print(f"  {n.name}: {n.kind.value}, theta {n.theta}, membrane {n.membrane_bits} bits")
    print(f"wrote {args.output}")
    return 0
