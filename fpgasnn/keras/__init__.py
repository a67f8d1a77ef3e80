"""Keras (tf_keras, Keras 2 API) side of fpgasnn: the quantization-aware activation layer, reference CNNs
and their training, and the front end that reads a Keras/QKeras model into a :class:`FloatNet`.

Importing this package does NOT import TensorFlow; its submodules ``layers``, ``models``, ``train`` do
(through :func:`fpgasnn.keras.tf_env.tf_keras`). ``frontend`` imports it only when a function is called.

Typical use::

    from fpgasnn.data import load_dataset
    from fpgasnn.keras import cached_reference_model, evaluate_keras, from_keras, load_model

    path = cached_reference_model("mnist")          # trains once (about 1 min), then cached
    net = from_keras(path)                          # FloatNet; net.meta["source"] == str(path)
    x, y = load_dataset("mnist", "test")
    q = evaluate_keras(load_model(path), x, y)                    # quantized ANN top-1 (%)
    f = evaluate_keras(load_model(path), x, y, quantized=False)   # float ANN (clipped ReLU) top-1 (%)

Command line: ``fpgasnn train --dataset mnist -o model.h5``.
"""

from __future__ import annotations

_LAZY = {
    "from_keras": "fpgasnn.keras.frontend",
    "load_model": "fpgasnn.keras.frontend",
    "evaluate_keras": "fpgasnn.keras.evaluate",
    "keras_logits": "fpgasnn.keras.evaluate",
    "cached_reference_model": "fpgasnn.keras.train",
    "train_model": "fpgasnn.keras.train",
    "ModelSpec": "fpgasnn.keras.models",
}

__all__ = [
    "ModelSpec",
    "cached_reference_model",
    "evaluate_keras",
    "from_keras",
    "keras_logits",
    "load_model",
    "train_model",
]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'fpgasnn.keras' has no attribute {name!r}")
