"""Which front end reads a model: ONNX for an ``.onnx`` file (or a loaded ONNX model), Keras otherwise.

The CLI and the flow call these four functions instead of a front end's own, so a model file of
either kind goes through ``convert``, ``evaluate`` and ``demo``. Nothing heavy is imported here:
TensorFlow only for a Keras model, onnx / onnxruntime only for an ONNX model.
"""

from __future__ import annotations

from pathlib import Path


def _is_onnx(model) -> bool:
    if isinstance(model, (str, Path)):
        return Path(model).suffix.lower() == ".onnx"
    from fpgasnn.onnx.frontend import OnnxModel

    return isinstance(model, OnnxModel)


def load_model(path: str | Path):
    """The model in ``path``: an :class:`fpgasnn.onnx.frontend.OnnxModel` for ``.onnx``, else the
    Keras model (:func:`fpgasnn.keras.frontend.load_model`)."""
    if _is_onnx(path):
        from fpgasnn.onnx.frontend import load_onnx

        return load_onnx(path)
    from fpgasnn.keras.frontend import load_model as load_keras

    return load_keras(path)


def input_shape(model) -> tuple[int, ...]:
    """The FloatNet input shape (C, H, W) / (F,) of a loaded model."""
    if _is_onnx(model):
        return model.input_shape
    from fpgasnn.keras.frontend import model_input_shape

    return model_input_shape(model)


def to_floatnet(model, **options):
    """The model (loaded, or a path) as a FloatNet; ``options`` as for ``from_keras`` / ``from_onnx``."""
    if _is_onnx(model):
        from fpgasnn.onnx.frontend import from_onnx

        return from_onnx(model, **options)
    from fpgasnn.keras.frontend import from_keras

    return from_keras(model, **options)


def model_logits(model, images, *, input_scale: float):
    """The model's outputs for integer inputs as its own framework computes them (Keras, or
    onnxruntime for ONNX)."""
    if _is_onnx(model):
        from fpgasnn.onnx.frontend import onnx_logits

        return onnx_logits(model, images, input_scale=input_scale)
    from fpgasnn.keras.evaluate import keras_logits

    return keras_logits(model, images, input_scale=input_scale)


def runtime_name(model) -> str:
    """Who runs the model for :func:`model_logits`: "onnxruntime" or "Keras"."""
    return "onnxruntime" if _is_onnx(model) else "Keras"
