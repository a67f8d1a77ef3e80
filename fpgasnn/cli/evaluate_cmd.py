"""``fpgasnn evaluate``: convert a Keras model for each T and measure ANN and SNN on the full test set."""

from __future__ import annotations

import argparse
from pathlib import Path

from fpgasnn.cli.convert_cmd import add_common, calibration, load_floatnet


def _t_list(text: str) -> list[int]:
    try:
        ts = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated step counts, got {text!r}") from None
    if not ts or min(ts) < 1:
        raise argparse.ArgumentTypeError(f"expected positive step counts, got {text!r}")
    return ts


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="convert for each T and report ANN vs SNN accuracy on a test set",
                       description="For each T: float ANN, quantized ANN, integer-weight ANN, float SNN "
                                   "and integer SNN top-1 on the full test split, per-layer spike rates "
                                   "and off-by-one shares.")
    add_common(p)
    p.add_argument("-T", "--steps", type=_t_list, default=[1, 2, 4, 8], help="e.g. 1,2,4,8")
    p.add_argument("--test-images", type=int, default=None, help="first N test images (default: all)")
    p.add_argument("--no-float-sim", action="store_true", help="skip the float SNN simulation")
    p.add_argument("--json", type=Path, default=None, help="write the records as a flat JSON list (per-layer figures as layers.NAME.KEY)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fpgasnn.convert.evaluate import evaluate_conversion
    from fpgasnn.data import load_dataset
    from fpgasnn.records import write_records

    fnet = load_floatnet(args.model)
    x, y = load_dataset(args.dataset, "test")
    if args.test_images:
        x, y = x[:args.test_images], y[:args.test_images]
    cx, cy = calibration(args)
    records = []
    print(f"{args.model} on {len(x)} {args.dataset} test images, method {args.method}")
    for T in args.steps:
        rec = evaluate_conversion(fnet, x, y, T, args.method, calib=cx, calib_labels=cy,
                                  weight_bits=args.weight_bits, seed=args.seed,
                                  res_target_bits=args.res_target_bits,
                                  float_sim=not args.no_float_sim, dataset=args.dataset)
        records.append(rec)
        line = (f"T={T} (total {rec['total_steps']} steps): ANN float {rec['ann_float_top1_pct']:.2f} %  "
                f"ANN quantized {rec['ann_q_top1_pct']:.2f} %  ANN int-weight {rec['ann_int_top1_pct']:.2f} %  "
                f"SNN {rec['snn_top1_pct']:.2f} %  gap {rec['gap_pp']:+.2f} pp")
        if "snn_float_top1_pct" in rec:
            line += (f"  float SNN {rec['snn_float_top1_pct']:.2f} %  float/int agree "
                     f"{rec['float_int_agree_pct']:.2f} %")
        print(line)
        for layer in rec["layers"]:
            print(f"    {layer['name']:>10s}: spike rate {layer['spike_rate']:.3f}/neuron/step  "
                  f"count != ANN level {layer['offbyone_pct']:.2f} %")
    if args.json:
        write_records(args.json, records)
        print(f"wrote {args.json}")
    return 0
