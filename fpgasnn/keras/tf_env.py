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
    objs["QActivation"] = _qactivation_loader(objs)
    objs["fpgasnn>ClipFloorShift"] = ClipFloorShift
    return objs


def _qactivation_loader(objs: dict[str, object]) -> type:
    """QActivation whose ``from_config`` also takes a serialized quantizer object.

    QKeras 0.9's ``QActivation.get_config`` returns its quantizer object as is; the ``.keras`` format
    stores it as a nested ``{"class_name": "quantized_relu", "config": ...}`` that QActivation cannot
    read back. This loader rebuilds the quantizer first and returns a plain QActivation.
    """
    from qkeras import QActivation

    tfk = tf_keras()

    class QActivationLoader(QActivation):
        @classmethod
        def from_config(cls, config):
            act = config.get("activation")
            if isinstance(act, dict):
                config = dict(config)
                config["activation"] = tfk.utils.deserialize_keras_object(
                    act, module_objects=objs, custom_objects=objs, printable_module_name="quantizer")
            return QActivation(**config)

    return QActivationLoader
