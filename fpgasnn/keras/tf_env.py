"""The one place that imports TensorFlow: tf_keras (Keras 2), as QKeras 0.9 needs it."""

from __future__ import annotations

import os
from types import ModuleType


def tf_keras() -> ModuleType:
    """The ``tf_keras`` module; sets ``TF_USE_LEGACY_KERAS=1`` (so ``tf.keras`` is tf_keras too) first."""
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tf_keras as tfk

    return tfk


def custom_objects() -> dict[str, object]:
    """Every custom class a saved fpgasnn/QKeras model may name: QKeras' layers and quantizers, ours."""
    tf_keras()
    from qkeras.utils import _add_supported_quantized_objects

    from fpgasnn.keras.layers import ClipFloorShift

    objs: dict[str, object] = {}
    _add_supported_quantized_objects(objs)
    objs["ClipFloorShift"] = ClipFloorShift
    objs["fpgasnn>ClipFloorShift"] = ClipFloorShift
    return objs
