"""Models a user brings: float and quantized Keras models trained here, converted, measured against
what Keras itself says.

    .venv/bin/python bench/frontends.py [--datasets mnist,fashion_mnist] [--models float_tfkeras,...]
        [--train-images 20000] [--epochs 2] [--test-images N] [--calib-images 512] [--merge]

Models (each trained here on the first ``--train-images`` training images for ``--epochs`` epochs, input
``x / 255``):
- ``float_tfkeras``: tf_keras CNN, conv16 (fused relu) - avgpool - conv32 - BN - ReLU - avgpool -
  dense128 (fused relu) - dense10: float ReLUs, thresholds calibrated (``--relu-percentile``, default
  auto; L = T levels).
- ``float_keras3``: the same network written in Keras 3 (separate ReLU layers), saved as ``.keras``
  and read back from the file.
- ``qkeras``: QKeras CNN, QConv2D / QDense with ``quantized_bits(4, 0, alpha=1)`` weights and
  ``quantized_relu(2, 1)`` activations (3 levels; at T = 2 the clip-floor-shift rule at T < L).

Per model and data set: the model's top-1 as Keras runs it on the FULL test split (``keras_top1_pct``);
for (method, T) in qcfs/4, best/2, best/4, best/8: the golden integer SNN's top-1 (``snn_top1_pct``),
the share of test images on which it picks Keras' class (``keras_agree_pct``) and the conversion time
including calibration (``convert_s``). Calibration: ``--calib-images`` training images, seed 0.

Writes bench/results/frontends.json (flat records).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from fpgasnn.records import read_records, write_records

RESULTS = Path(__file__).resolve().parent / "results"
CONFIGS = (("qcfs", 4), ("best", 2), ("best", 4), ("best", 8))
MODELS = ("float_tfkeras", "float_keras3", "qkeras")


def build(name: str):
    """(model, framework, keras3?) for a model name of the module docstring."""
    from fpgasnn.keras.tf_env import keras3, tf_keras

    if name == "float_keras3":
        K = keras3()
        L = K.layers
        return (
            K.Sequential(
                [
                    K.Input((28, 28, 1)),
                    L.Conv2D(16, 3, padding="same", name="conv1"),
                    L.ReLU(name="relu1"),
                    L.AveragePooling2D(2),
                    L.Conv2D(32, 3, padding="same", use_bias=False, name="conv2"),
                    L.BatchNormalization(name="bn2"),
                    L.ReLU(name="relu2"),
                    L.AveragePooling2D(2),
                    L.Flatten(),
                    L.Dense(128, name="fc3"),
                    L.ReLU(name="relu3"),
                    L.Dense(10, name="logits"),
                ],
                name="float_keras3",
            ),
            "keras3",
            True,
        )
    K = tf_keras()
    L = K.layers
    if name == "float_tfkeras":
        return (
            K.Sequential(
                [
                    L.InputLayer((28, 28, 1)),
                    L.Conv2D(16, 3, padding="same", activation="relu", name="conv1"),
                    L.AveragePooling2D(2),
                    L.Conv2D(32, 3, padding="same", use_bias=False, name="conv2"),
                    L.BatchNormalization(name="bn2"),
                    L.ReLU(name="relu2"),
                    L.AveragePooling2D(2),
                    L.Flatten(),
                    L.Dense(128, activation="relu", name="fc3"),
                    L.Dense(10, name="logits"),
                ],
                name="float_tfkeras",
            ),
            "tf_keras",
            False,
        )
    from qkeras import QActivation, QConv2D, QDense, quantized_bits, quantized_relu

    def wq():
        return quantized_bits(4, 0, alpha=1)

    return (
        K.Sequential(
            [
                L.InputLayer((28, 28, 1)),
                QConv2D(
                    16,
                    3,
                    padding="same",
                    kernel_quantizer=wq(),
                    bias_quantizer=quantized_bits(8, 3),
                    name="conv1",
                ),
                QActivation(quantized_relu(2, 1), name="act1"),
                L.AveragePooling2D(2),
                QConv2D(
                    32,
                    3,
                    padding="same",
                    kernel_quantizer=wq(),
                    bias_quantizer=quantized_bits(8, 3),
                    name="conv2",
                ),
                QActivation(quantized_relu(2, 1), name="act2"),
                L.AveragePooling2D(2),
                L.Flatten(),
                QDense(128, kernel_quantizer=wq(), bias_quantizer=quantized_bits(8, 3), name="fc3"),
                QActivation(quantized_relu(2, 1), name="act3"),
                QDense(
                    10, kernel_quantizer=wq(), bias_quantizer=quantized_bits(8, 3), name="logits"
                ),
            ],
            name="qkeras",
        ),
        "qkeras",
        False,
    )


def train(name: str, dataset: str, n_train: int, epochs: int, workdir: Path):
    """Train model ``name`` on ``dataset``, save it and load it back from the file (as a user would)."""
    from fpgasnn.data import load_dataset
    from fpgasnn.keras.frontend import load_model
    from fpgasnn.keras.tf_env import keras3, tf_keras

    model, fw, k3 = build(name)
    path = workdir / f"{name}_{dataset}.{'keras' if k3 else 'h5'}"
    if path.exists():  # --models-dir: trained by an earlier run with the same settings
        return load_model(path), fw, float("nan")
    K = keras3() if k3 else tf_keras()
    K.utils.set_random_seed(0)
    x, y = load_dataset(dataset, "train")
    x, y = x[:n_train].transpose(0, 2, 3, 1).astype(np.float32) / 255.0, y[:n_train]
    model.compile(
        optimizer=K.optimizers.Adam(learning_rate=2e-3),
        loss=K.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=128, epochs=epochs, verbose=0)
    train_s = time.perf_counter() - t0
    model.save(path)
    return load_model(path), fw, train_s


def run_one(name: str, dataset: str, args, workdir: Path) -> list[dict]:
    from fpgasnn.calibrate.common import pick_calibration
    from fpgasnn.convert.evaluate import evaluate_conversion
    from fpgasnn.data import load_dataset
    from fpgasnn.keras.evaluate import keras_logits
    from fpgasnn.keras.frontend import from_keras

    model, fw, train_s = train(name, dataset, args.train_images, args.epochs, workdir)
    xt, yt = load_dataset(dataset, "test")
    if args.test_images:
        xt, yt = xt[: args.test_images], yt[: args.test_images]
    kcls = np.argmax(keras_logits(model, xt), axis=1)
    x, y = load_dataset(dataset, "train")
    cx, cy = pick_calibration(x, y, args.calib_images, 0)
    recs = []
    for method, T in args.configs:
        t0 = time.perf_counter()
        fnet = from_keras(
            model, calib_images=cx, relu_levels=T, relu_percentile=args.relu_percentile
        )
        read_s = time.perf_counter() - t0
        rec = evaluate_conversion(
            fnet,
            xt,
            yt,
            T,
            method,
            calib=cx,
            calib_labels=cy,
            seed=0,
            float_sim=False,
            dataset=dataset,
            keras_classes=kcls,
        )
        out = {
            "model": name,
            "framework": fw,
            "dataset": dataset,
            "T": T,
            "method": rec["method"],
            "keras_top1_pct": rec["keras_top1_pct"],
            "snn_top1_pct": rec["snn_top1_pct"],
            "keras_agree_pct": rec["keras_agree_pct"],
            "snn_minus_keras_pp": round(rec["snn_top1_pct"] - rec["keras_top1_pct"], 4),
            "convert_s": round(read_s + rec["convert_s"], 3),
            "ann_q_top1_pct": rec["ann_q_top1_pct"],
            "gap_pp": rec["gap_pp"],
            "total_steps": rec["total_steps"],
            "test_images": len(xt),
            "calibration_images": len(cx),
            "train_images": args.train_images,
            "epochs": args.epochs,
            "train_s": -1.0 if np.isnan(train_s) else round(train_s, 1),
            "relu_thresholds": "/".join(
                f"{k}={v:.4g}" for k, v in fnet.meta["relu_thresholds"].items()
            )
            or "none",
            "relu_percentiles": "/".join(
                f"{k}={v:g}" for k, v in fnet.meta["relu_percentiles"].items()
            )
            or "none",
        }
        print(
            f"{name:14s} {dataset:13s} {out['method']:16s} T={T}: Keras {out['keras_top1_pct']:.2f} %"
            f"  SNN {out['snn_top1_pct']:.2f} %  ({out['snn_minus_keras_pp']:+.2f} pp)  agree "
            f"{out['keras_agree_pct']:.2f} %  convert {out['convert_s']:.1f} s",
            flush=True,
        )
        recs.append(out)
    return recs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default="mnist,fashion_mnist")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--train-images", type=int, default=20000)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--test-images", type=int, default=None, help="default: the full test split")
    ap.add_argument("--calib-images", type=int, default=512)
    ap.add_argument(
        "--relu-percentile",
        default="auto",
        type=lambda t: t if t == "auto" else float(t),
        help="as for `fpgasnn convert` (default auto)",
    )
    ap.add_argument(
        "--configs",
        default=",".join(f"{m}:{t}" for m, t in CONFIGS),
        type=lambda t: [(c.split(":")[0], int(c.split(":")[1])) for c in t.split(",")],
        help="method:T pairs (default qcfs:4,best:2,best:4,best:8)",
    )
    ap.add_argument(
        "--models-dir",
        default=None,
        help="keep the trained models here and reuse those already there (train_s -1)",
    )
    ap.add_argument(
        "--merge", action="store_true", help="keep earlier records of other models/data"
    )
    ap.add_argument("-o", "--output", type=Path, default=RESULTS / "frontends.json")
    args = ap.parse_args()
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
    t0 = time.perf_counter()
    records = []
    earlier = read_records(args.output) if args.merge and args.output.exists() else []
    with tempfile.TemporaryDirectory(prefix="fpgasnn_frontends_") as tmp:
        models = Path(args.models_dir or tmp)
        models.mkdir(parents=True, exist_ok=True)
        for dataset in args.datasets.split(","):
            for name in args.models.split(","):
                records += run_one(name, dataset, args, models)
                done = {(r["model"], r["dataset"], r["method"], r["T"]) for r in records}
                keep = [
                    r
                    for r in earlier
                    if (r["model"], r["dataset"], r["method"], r["T"]) not in done
                ]
                write_records(args.output, keep + records)  # after each model: a partial run counts
    print(f"wrote {args.output} ({len(records)} records, {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
