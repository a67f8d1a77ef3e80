"""The ONNX front end: PyTorch models exported with ``torch.onnx`` and Brevitas models exported as
QONNX, read into a :class:`fpgasnn.convert.floatnet.FloatNet` like the Keras front end's.

Importing this package imports neither ``onnx`` nor ``onnxruntime`` (nor TensorFlow); its functions do.
Inside it, ``import onnx`` is the ONNX package (absolute imports), never this one.

Typical use::

    from fpgasnn.onnx import from_onnx, onnx_logits

    fnet = from_onnx("model.onnx", calib_images=x_train[:512])   # FloatNet
    logits = onnx_logits("model.onnx", x_test)                   # the model as onnxruntime runs it

Command line: ``fpgasnn convert model.onnx -T 4 --method best -o net.snn`` (and evaluate, demo).
"""

from __future__ import annotations

_LAZY = {
    "from_onnx": "fpgasnn.onnx.frontend",
    "load_onnx": "fpgasnn.onnx.frontend",
    "onnx_logits": "fpgasnn.onnx.frontend",
    "is_onnx_path": "fpgasnn.onnx.frontend",
    "OnnxModel": "fpgasnn.onnx.frontend",
}

__all__ = ["OnnxModel", "from_onnx", "is_onnx_path", "load_onnx", "onnx_logits"]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'fpgasnn.onnx' has no attribute {name!r}")
