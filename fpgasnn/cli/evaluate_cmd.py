"""``fpgasnn evaluate``: convert a Keras model for each T and measure ANN and SNN on the test images,
and the user's model as Keras runs it (``keras_top1_pct``) with the SNN's agreement with it
(``keras_agree_pct``)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from fpgasnn.cli.args import count, output_file
from fpgasnn.cli.convert_cmd import (
    MAX_T,
    add_common,
    calibration,
    data_meta,
    open_source,
    print_input,
    print_maxpool,
    print_relus,
    read_floatnet,
)


def _t_list(text: str) -> list[int]:
    try:
        ts = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated step counts, got {text!r}"
        ) from None
    if not ts or min(ts) < 1 or max(ts) > MAX_T:
        raise argparse.ArgumentTypeError(f"expected step counts in [1, {MAX_T}], got {text!r}")
    return ts


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="convert for each T and report Keras, ANN and SNN accuracy",
        description="For each T: the Keras model as Keras runs it, float ANN, quantized "
        "ANN, integer-weight ANN, float SNN and integer SNN top-1 on the test "
        "images, the SNN's agreement with Keras, per-layer spike rates and "
        "off-by-one shares.",
    )
    add_common(p)
    p.add_argument("-T", "--steps", type=_t_list, default=[1, 2, 4, 8], help="e.g. 1,2,4,8")
    p.add_argument(
        "--test-images", type=count(1), default=None, help="first N test images (default: all)"
    )
    p.add_argument("--no-float-sim", action="store_true", help="skip the float SNN simulation")
    p.add_argument(
        "--json",
        type=output_file(".json"),
        default=None,
        help="write the records as a flat JSON list (per-layer figures as layers.NAME.KEY)",
    )
    p.set_defaults(func=run)


def test_set(src, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, str]:
    """Test images, labels and what they are: the data set's test split, the user's ``x_test``, or the
    user's ``x`` less the calibration draw."""
    return src.data.test_set(args.test_images, calib=(args.calib_images, args.seed), labels=True)


def run(args: argparse.Namespace) -> int:
    from fpgasnn.convert.evaluate import evaluate_conversion
    from fpgasnn.frontends import model_logits, runtime_name
    from fpgasnn.records import write_records

    src = open_source(args)
    x, y, what = test_set(src, args)
    kcls = np.argmax(model_logits(src.model, x, input_scale=src.data.encoding.unit), axis=1)
    ktop1 = 100.0 * float(np.mean(kcls == y))
    print(f"{args.model} on {len(x)} {what}, method {args.method}")
    print_input(src)
    who = runtime_name(src.model)
    print(f"the model as {who} runs it: {ktop1:.2f} % top-1")
    records = []
    for T in args.steps:
        fnet = read_floatnet(src, args, T)
        cx, cy = calibration(src, args)
        rec = evaluate_conversion(
            fnet,
            x,
            y,
            T,
            args.method,
            calib=cx,
            calib_labels=cy,
            weight_bits=args.weight_bits,
            seed=args.seed,
            res_target_bits=args.res_target_bits,
            float_sim=not args.no_float_sim,
            dataset=src.data_name,
            keras_classes=kcls,
        )
        meta = {
            k: v
            for k, v in data_meta(src, args).items()
            if k not in ("calibration_indices", "input_encoding")  # records are flat
        }
        meta["input_quantizer"] = src.data.encoding.quantizer
        rec.update(
            model=str(args.model),
            framework=fnet.meta["frontend"],
            **meta,
            relu_levels=fnet.meta["relu_levels"] if fnet.meta["relu_thresholds"] else 0,
            relu_thresholds="/".join(
                f"{k}={v:.6g}" for k, v in fnet.meta["relu_thresholds"].items()
            ),
        )
        records.append(rec)
        if args.steps[0] == T:
            print_maxpool(fnet)
            print_relus(fnet)
        line = (
            f"T={T} (total {rec['total_steps']} steps): {who} {rec['keras_top1_pct']:.2f} %  "
            f"ANN float {rec['ann_float_top1_pct']:.2f} %  "
            f"ANN quantized {rec['ann_q_top1_pct']:.2f} %  "
            f"ANN int-weight {rec['ann_int_top1_pct']:.2f} %  SNN {rec['snn_top1_pct']:.2f} %  "
            f"(ANN quantized - SNN {rec['gap_pp']:+.2f} pp)  "
            f"SNN = {who} on {rec['keras_agree_pct']:.2f} %"
        )
        if "snn_float_top1_pct" in rec:
            line += (
                f"  float SNN {rec['snn_float_top1_pct']:.2f} %  float/int agree "
                f"{rec['float_int_agree_pct']:.2f} %"
            )
        print(line)
        for layer in rec["layers"]:
            print(
                f"    {layer['name']:>10s}: spike rate {layer['spike_rate']:.3f}/neuron/step  "
                f"count != ANN level {layer['offbyone_pct']:.2f} %"
            )
    if args.json:
        write_records(Path(args.json), records)
        print(f"wrote {args.json}")
    return 0
