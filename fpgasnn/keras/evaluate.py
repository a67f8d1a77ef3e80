"""Accuracy of a Keras model on integer images, as the quantized ANN or as its float (clipped-ReLU) view."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

from fpgasnn.errors import DataError
from fpgasnn.keras.frontend import INPUT_SCALE, _to_keras_input


@contextlib.contextmanager
def _float_view(model) -> Iterator[None]:
    """Within the block, every ClipFloorShift and QActivation(quantized_relu) of ``model`` computes the
    clipped ReLU ``clip(x, 0, lam)`` instead of quantizing (eager calls only)."""
    import tensorflow as tf

    saved = []
    for layer in model.layers:
        cls = type(layer).__name__
        if cls == "ClipFloorShift":
            saved.append((layer, "quantize", layer.quantize))
            layer.quantize = False
        elif cls == "QActivation" and type(layer.quantizer).__name__ == "quantized_relu":
            q = layer.quantizer
            m = 2.0 ** int(q.bits)
            lam = 2.0 ** float(np.asarray(q.integer)) * (1.0 - 1.0 / m)
            saved.append((layer, "quantizer", q))
            layer.quantizer = lambda x, lam=lam: tf.clip_by_value(x, 0.0, lam)
    try:
        yield
    finally:
        for layer, attr, value in saved:
            setattr(layer, attr, value)


def keras_logits(model, images: np.ndarray, *, quantized: bool = True, input_scale: float = INPUT_SCALE,
                 batch_size: int = 1000) -> np.ndarray:
    """The model's outputs (N, classes) for integer images (N, C, H, W); ``quantized=False`` evaluates the
    float ANN (each quantizer replaced by the ReLU clipped at its threshold)."""
    x = _to_keras_input(images, model, input_scale)
    outs = []
    with contextlib.nullcontext() if quantized else _float_view(model):
        for i in range(0, len(x), batch_size):
            outs.append(np.asarray(model(x[i:i + batch_size], training=False)))
    return np.concatenate(outs) if outs else np.zeros((0, int(model.output_shape[-1])))


def evaluate_keras(model, images: np.ndarray, labels: np.ndarray, *, quantized: bool = True,
                   input_scale: float = INPUT_SCALE, batch_size: int = 1000) -> float:
    """Top-1 accuracy in percent of ``model`` on integer images (N, C, H, W) and labels (N,)."""
    labels = np.asarray(labels)
    if len(labels) != len(images) or len(labels) == 0:
        raise DataError(f"evaluate_keras: {len(images)} images but {len(labels)} labels")
    logits = keras_logits(model, images, quantized=quantized, input_scale=input_scale,
                          batch_size=batch_size)
    return 100.0 * float(np.mean(np.argmax(logits, axis=1) == labels))
