"""The custom classes a saved fpgasnn / QKeras model may name (Keras needs them to load it).

Separate from :mod:`fpgasnn.keras.tf_env`, which :mod:`fpgasnn.keras.layers` imports: these loaders need
both, and keeping them apart keeps the import graph free of cycles."""

from __future__ import annotations

from fpgasnn.keras.tf_env import _held_stderr, tf_keras


def custom_objects() -> dict[str, object]:
    """Every custom class a saved fpgasnn/QKeras model may name: QKeras' layers and quantizers, ours."""
    tf_keras()
    with _held_stderr():
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
                    act, module_objects=objs, custom_objects=objs, printable_module_name="quantizer"
                )
            return QActivation(**config)

    return QActivationLoader


__all__ = ["custom_objects"]
