"""Bring your own QKeras model: train a small QKeras CNN on scikit-learn's digits, convert it into an
integer SNN, build a pynq-z2 project, check it bit-exactly in C simulation and read its latency from
the cycle model -- all through the Python API.

Run:  .venv/bin/python examples/qkeras_digits.py [--epochs 30] [--out /tmp/qkeras_digits]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from fpgasnn.backends.hls.csim import run_csim
from fpgasnn.backends.rtl.cycles import estimate
from fpgasnn.convert import convert
from fpgasnn.data import load_dataset
from fpgasnn.flow import build_project
from fpgasnn.golden import simulate
from fpgasnn.keras.frontend import from_keras
from fpgasnn.keras.tf_env import tf_keras


def qkeras_cnn():
    """conv8 3x3 -> quantized ReLU (4 levels) -> avgpool 2 -> dense 32 -> quantized ReLU -> dense 10."""
    tfk = tf_keras()
    from qkeras import QActivation, QConv2D, QDense, quantized_bits, quantized_relu

    L = tfk.layers
    return tfk.Sequential(
        [
            L.InputLayer(input_shape=(8, 8, 1), name="image"),
            QConv2D(
                8,
                3,
                padding="same",
                kernel_quantizer=quantized_bits(8, 0, alpha=1),
                bias_quantizer=quantized_bits(8, 0, alpha=1),
                name="conv1",
            ),
            QActivation(quantized_relu(2, 1), name="act1"),
            L.AveragePooling2D(2, name="pool1"),
            L.Flatten(name="flatten"),
            QDense(
                32,
                kernel_quantizer=quantized_bits(8, 0, alpha=1),
                bias_quantizer=quantized_bits(8, 0, alpha=1),
                name="fc2",
            ),
            QActivation(quantized_relu(2, 1), name="act2"),
            QDense(
                10,
                kernel_quantizer=quantized_bits(8, 0, alpha=1),
                bias_quantizer=quantized_bits(8, 0, alpha=1),
                name="logits",
            ),
        ],
        name="qkeras_digits",
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--out", type=Path, default=Path("/tmp/qkeras_digits"))
    args = ap.parse_args()

    tfk = tf_keras()
    tfk.utils.set_random_seed(0)
    x_train, y_train = load_dataset("digits", "train")  # uint8 (N, 1, 8, 8), pixels 0..255
    x_test, y_test = load_dataset("digits", "test")
    model = qkeras_cnn()
    model.compile(
        optimizer=tfk.optimizers.Adam(3e-3),
        metrics=["accuracy"],
        loss=tfk.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    keras_in = (
        x_train.transpose(0, 2, 3, 1).astype(np.float32) / 255.0
    )  # the front end's input scale
    model.fit(keras_in, y_train, epochs=args.epochs, batch_size=64, verbose=0)
    ann = np.argmax(model.predict(x_test.transpose(0, 2, 3, 1) / 255.0, verbose=0), axis=1)
    print(f"QKeras model: {100 * np.mean(ann == y_test):.2f} % top-1 on {len(y_test)} test images")

    fnet = from_keras(model)  # the QKeras layers read as quantized ANN layers
    net = convert(fnet, T=4, method="best", calib=x_train[:512], calib_labels=y_train[:512])
    res = simulate(net, x_test)
    print(
        f"integer SNN ({net.meta['method']}, T={net.schedule.wake}): "
        f"{100 * np.mean(res.classes == y_test):.2f} % top-1 (golden model)"
    )

    project = args.out / "pynq-z2"
    build_project(net, "pynq-z2", project, lanes=4, force=True)
    csim = run_csim(project, x_test)
    print(
        f"C simulation of {project}: {csim.images} images, {csim.mismatches} mismatches with the golden model"
    )
    cyc = estimate(net, x_test[:50], 4)
    print(
        f"latency (exact cycle model, 50 images): {cyc.cycles.mean():,.0f} cycles = "
        f"{cyc.cycles.mean() / 100:.1f} us at 100 MHz"
    )
    if not csim.ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
