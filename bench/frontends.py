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

PyTorch through ONNX (issue 17), model ``qcfs_pytorch`` (framework ``pytorch-onnx``; needs the ``torch``
extra): a PyTorch CNN with the papers' QCFS activation (``floor(clamp(x / lam, 0, 1) * L + 0.5) / L *
lam``, L = 4, trainable lam starting at ``--torch-lam-init`` (default 2, as fpgasnn's reference
models), straight-through floor), conv16 - QCFS - avgpool - conv32 - BN - QCFS -
avgpool - fc128 - QCFS - fc10, trained here (same images and epochs), exported with ``torch.onnx``
(TorchScript exporter) and read back from the ``.onnx`` file. Its records carry ``torch_top1_pct`` (the
model as PyTorch runs it), ``onnxruntime_top1_pct`` and ``torch_agree_pct`` instead of the Keras keys,
for ``--torch-configs`` (default best at T = 1, 2, 4).

``--validation`` (prints only, writes nothing): for the float models, the 4-level quantized ANN on
training images 50000-59999 (no model here trains on them) with ``auto`` ReLU thresholds chosen by the
current rule (softmax KL divergence to the float network) and by the first rule (top-1 agreement):
where the rule was chosen, away from the test split.

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
TORCH_MODELS = ("qcfs_pytorch",)
TORCH_CONFIGS = (("best", 1), ("best", 2), ("best", 4))


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


VALIDATION = slice(50000, 60000)
"""Training images no bench model trains on (``--train-images`` <= 50000): where choices are judged."""


def validate_relu_rule(name: str, dataset: str, args, workdir: Path) -> None:
    """``--validation``: the L = 4 quantized ANN of a float model (what its plain ReLUs become) on
    training images 50000-59999, with ``auto`` thresholds chosen by the current rule (smallest
    softmax KL divergence to the float network) and by the first rule (most top-1 agreement), the same
    11 candidates and 512 calibration images; and, measured after the choice, the same on the test
    split. Prints only (no records)."""
    from unittest import mock

    from fpgasnn.calibrate.common import pick_calibration
    from fpgasnn.convert import relu_calibration
    from fpgasnn.data import load_dataset
    from fpgasnn.keras import frontend
    from fpgasnn.keras.evaluate import keras_logits

    model, _, _ = train(name, dataset, args.train_images, args.epochs, workdir)
    x, y = load_dataset(dataset, "train")
    if args.train_images > VALIDATION.start:
        raise SystemExit("--validation needs --train-images <= 50000")
    xv, yv = x[VALIDATION], y[VALIDATION]
    kv = np.argmax(keras_logits(model, xv), axis=1)
    xt, yt = load_dataset(dataset, "test")
    kt = np.argmax(keras_logits(model, xt), axis=1)
    cx, _ = pick_calibration(x, y, args.calib_images, 0)

    def agreement(ref, got):  # the first rule: most top-1 agreement (negated: lower is better)
        return -float(np.mean(np.argmax(ref, axis=1) == np.argmax(got, axis=1)))

    print(
        f"{name} {dataset}: Keras {100 * np.mean(kv == yv):.2f} % on training images 50000-59999, "
        f"{100 * np.mean(kt == yt):.2f} % on the test split"
    )
    for rule, patch in (("kl", None), ("agreement", agreement)):
        with (
            mock.patch.object(relu_calibration, "output_divergence", patch) if patch else _nothing()
        ):
            f = frontend.from_keras(model, calib_images=cx, relu_levels=4, relu_percentile="auto")
        a, at = np.argmax(f.forward(xv), axis=1), np.argmax(f.forward(xt), axis=1)
        print(
            f"  auto by {rule:9s}: 4-level ANN {100 * np.mean(a == yv):.2f} % (agrees with Keras on "
            f"{100 * np.mean(a == kv):.2f} %); on the test split, measured after the choice: "
            f"{100 * np.mean(at == yt):.2f} % ({100 * np.mean(at == kt):.2f} %); percentiles "
            f"{f.meta['relu_percentiles']}",
            flush=True,
        )


def _nothing():
    import contextlib

    return contextlib.nullcontext()


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


def torch_qcfs_cnn(levels: int = 4, lam: float = 2.0):
    """The PyTorch QCFS CNN of the module docstring (``export = True``: a plain floor for export)."""
    import torch
    from torch import nn

    class GradFloor(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return torch.floor(x)

        @staticmethod
        def backward(ctx, g):
            return g

    class QCFS(nn.Module):
        def __init__(self, levels: int, lam: float):
            super().__init__()
            self.up = nn.Parameter(torch.tensor([lam]))
            self.levels = levels
            self.export = False

        def forward(self, x):
            x = x / self.up
            x = torch.clamp(x, 0, 1)
            floor = torch.floor if self.export else GradFloor.apply
            x = floor(x * self.levels + 0.5) / self.levels
            return x * self.up

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
            self.act1 = QCFS(levels, lam)
            self.pool1 = nn.AvgPool2d(2)
            self.conv2 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(32)
            self.act2 = QCFS(levels, lam)
            self.pool2 = nn.AvgPool2d(2)
            self.fc3 = nn.Linear(32 * 7 * 7, 128)
            self.act3 = QCFS(levels, lam)
            self.fc4 = nn.Linear(128, 10)

        def forward(self, x):
            x = self.pool1(self.act1(self.conv1(x)))
            x = self.pool2(self.act2(self.bn2(self.conv2(x))))
            x = x.view(x.size(0), -1)
            return self.fc4(self.act3(self.fc3(x)))

    return Net()


def run_pytorch(name: str, dataset: str, args, workdir: Path) -> list[dict]:
    """Train the PyTorch QCFS CNN, export it to ONNX, convert the file at each (method, T)."""
    import torch

    from fpgasnn.calibrate.common import pick_calibration
    from fpgasnn.convert.evaluate import evaluate_conversion
    from fpgasnn.data import load_dataset
    from fpgasnn.onnx.frontend import from_onnx, load_onnx, onnx_logits

    torch.manual_seed(0)
    torch.set_num_threads(2)
    net = torch_qcfs_cnn(lam=args.torch_lam_init)
    x, y = load_dataset(dataset, "train")
    weights = workdir / f"{name}_{dataset}_lam{args.torch_lam_init:g}.pt"
    if weights.exists():  # --models-dir: trained by an earlier run with the same settings
        net.load_state_dict(torch.load(weights))
        train_s = -1.0
    else:
        xs = torch.tensor(x[: args.train_images].astype(np.float32) / 255.0)
        ys = torch.tensor(np.asarray(y[: args.train_images]), dtype=torch.long)
        opt = torch.optim.Adam(net.parameters(), lr=2e-3)
        t0 = time.perf_counter()
        net.train()
        for _ in range(args.epochs):
            perm = torch.randperm(len(xs))
            for i in range(0, len(xs), 128):
                idx = perm[i : i + 128]
                opt.zero_grad()
                loss = torch.nn.functional.cross_entropy(net(xs[idx]), ys[idx])
                loss.backward()
                opt.step()
        train_s = time.perf_counter() - t0
        torch.save(net.state_dict(), weights)
    net.eval()
    for m in net.modules():
        if hasattr(m, "export"):
            m.export = True
    path = workdir / f"{name}_{dataset}.onnx"
    torch.onnx.export(
        net,
        (torch.zeros(1, 1, 28, 28),),
        str(path),
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}},
        opset_version=17,
        dynamo=False,
    )
    xt, yt = load_dataset(dataset, "test")
    if args.test_images:
        xt, yt = xt[: args.test_images], yt[: args.test_images]
    with torch.no_grad():
        tlog = torch.cat(
            [
                net(torch.tensor(xt[i : i + 1000].astype(np.float32) / 255.0))
                for i in range(0, len(xt), 1000)
            ]
        ).numpy()
    tcls = np.argmax(tlog, axis=1)
    model = load_onnx(path)
    ort_top1 = 100.0 * float(np.mean(np.argmax(onnx_logits(model, xt), axis=1) == yt))
    cx, cy = pick_calibration(x, y, args.calib_images, 0)
    recs = []
    for method, T in args.torch_configs:
        t0 = time.perf_counter()
        fnet = from_onnx(model, calib_images=cx, relu_levels=T)
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
            keras_classes=tcls,
        )
        out = {
            "model": name,
            "framework": "pytorch-onnx",
            "dataset": dataset,
            "T": T,
            "method": rec["method"],
            "method_requested": method,
            "torch_top1_pct": rec["keras_top1_pct"],
            "onnxruntime_top1_pct": round(ort_top1, 2),
            "snn_top1_pct": rec["snn_top1_pct"],
            "torch_agree_pct": rec["keras_agree_pct"],
            "snn_minus_torch_pp": round(rec["snn_top1_pct"] - rec["keras_top1_pct"], 4),
            "convert_s": round(read_s + rec["convert_s"], 3),
            "ann_q_top1_pct": rec["ann_q_top1_pct"],
            "gap_pp": rec["gap_pp"],
            "total_steps": rec["total_steps"],
            "test_images": len(xt),
            "calibration_images": len(cx),
            "train_images": args.train_images,
            "epochs": args.epochs,
            "train_s": round(train_s, 1),
            "lam_init": args.torch_lam_init,
            "activations": "/".join(
                f"{k}=L{v['levels']},lam{v['lam']:.4g}" for k, v in fnet.meta["activations"].items()
            ),
            "torch_version": torch.__version__,
        }
        print(
            f"{name:14s} {dataset:13s} {out['method']:16s} T={T}: PyTorch "
            f"{out['torch_top1_pct']:.2f} %  SNN {out['snn_top1_pct']:.2f} %  "
            f"({out['snn_minus_torch_pp']:+.2f} pp)  agree {out['torch_agree_pct']:.2f} %  "
            f"convert {out['convert_s']:.1f} s",
            flush=True,
        )
        recs.append(out)
    return recs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default="mnist,fashion_mnist")
    ap.add_argument(
        "--models", default=",".join(MODELS), help=f"of {', '.join(MODELS + TORCH_MODELS)}"
    )
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
        "--torch-configs",
        default=",".join(f"{m}:{t}" for m, t in TORCH_CONFIGS),
        type=lambda t: [(c.split(":")[0], int(c.split(":")[1])) for c in t.split(",")],
        help="method:T pairs for the PyTorch models (default best:1,best:2,best:4)",
    )
    ap.add_argument(
        "--torch-lam-init",
        type=float,
        default=2.0,
        help="initial QCFS threshold lambda of the PyTorch models (default 2, as the reference "
        "Keras models)",
    )
    ap.add_argument(
        "--models-dir",
        default=None,
        help="keep the trained models here and reuse those already there (train_s -1)",
    )
    ap.add_argument(
        "--merge", action="store_true", help="keep earlier records of other models/data"
    )
    ap.add_argument(
        "--validation",
        action="store_true",
        help="instead of the records: how the float models' auto ReLU thresholds fare on training "
        "images 50000-59999 by the current rule and the first one (prints only)",
    )
    ap.add_argument("-o", "--output", type=Path, default=RESULTS / "frontends.json")
    args = ap.parse_args()
    if args.validation:
        with tempfile.TemporaryDirectory(prefix="fpgasnn_frontends_") as tmp:
            for dataset in args.datasets.split(","):
                for name in args.models.split(","):
                    validate_relu_rule(name, dataset, args, Path(args.models_dir or tmp))
        return
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
    t0 = time.perf_counter()
    records = []
    earlier = read_records(args.output) if args.merge and args.output.exists() else []
    with tempfile.TemporaryDirectory(prefix="fpgasnn_frontends_") as tmp:
        models = Path(args.models_dir or tmp)
        models.mkdir(parents=True, exist_ok=True)
        for dataset in args.datasets.split(","):
            for name in args.models.split(","):
                run = run_pytorch if name in TORCH_MODELS else run_one
                records += run(name, dataset, args, models)
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
