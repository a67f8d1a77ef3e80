"""Accuracy of a Keras model on integer inputs, as the quantized ANN or as its float (clipped-ReLU) view.

Works for tf_keras / QKeras and Keras 3 models. Inputs are in the FloatNet layout: (N, C, H, W) images
or (N, F) vectors, integer pixels that the model sees as ``pixels * input_scale``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

from fpgasnn.errors import DataError
from fpgasnn.keras.frontend import INPUT_SCALE, model_input_shape, to_keras_input
from fpgasnn.keras.tf_env import is_keras3


@contextlib.contextmanager
def _float_view(model) -> Iterator[None]:
    """Within the block, every ClipFloorShift and QActivation(quantized_relu) of ``model`` computes the
    clipped ReLU ``clip(x, 0, lam)`` instead of quantizing (eager calls only)."""
    saved = []
    if not is_keras3(model):
        import qkeras
        import tensorflow as tf

        from fpgasnn.keras.layers import ClipFloorShift

        for layer in model.layers:
            if isinstance(layer, ClipFloorShift):
                saved.append((layer, "quantize", layer.quantize))
                layer.quantize = False
            elif isinstance(layer, qkeras.QActivation) and isinstance(
                layer.quantizer, qkeras.quantized_relu
            ):
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


def keras_logits(
    model,
    images: np.ndarray,
    *,
    quantized: bool = True,
    input_scale: float = INPUT_SCALE,
    batch_size: int = 1000,
) -> np.ndarray:
    """The model's outputs (N, classes) for integer inputs (N, C, H, W) / (N, F); ``quantized=False``
    evaluates the float ANN (each quantizer replaced by the ReLU clipped at its threshold)."""
    x = to_keras_input(images, model_input_shape(model), input_scale)
    outs = []
    with contextlib.nullcontext() if quantized else _float_view(model):
        for i in range(0, len(x), batch_size):
            outs.append(np.asarray(model(x[i : i + batch_size], training=False)))
    return np.concatenate(outs) if outs else np.zeros((0, int(model.outputs[0].shape[-1])))


def evaluate_keras(
    model,
    images: np.ndarray,
    labels: np.ndarray,
    *,
    quantized: bool = True,
    input_scale: float = INPUT_SCALE,
    batch_size: int = 1000,
) -> float:
    """Top-1 accuracy in percent of ``model`` on integer inputs and labels (N,)."""
    labels = np.asarray(labels)
    if len(labels) != len(images) or len(labels) == 0:
        raise DataError(f"evaluate_keras: {len(images)} images but {len(labels)} labels")
    logits = keras_logits(
        model, images, quantized=quantized, input_scale=input_scale, batch_size=batch_size
    )
    return 100.0 * float(np.mean(np.argmax(logits, axis=1) == labels))
