"""Front end: a tf_keras / QKeras or Keras 3 model -> :class:`fpgasnn.convert.floatnet.FloatNet`.

:func:`from_keras` reads the model's graph (:mod:`fpgasnn.keras.graph`), checks EVERY layer with its
handler (:mod:`fpgasnn.keras.handlers`, which lists what maps to what) and raises one
:class:`UnsupportedLayerError` naming every unsupported layer (name, class, reason) and every structural
problem before anything is built; then builds the FloatNet and sets the thresholds of plain ReLUs from
calibration images (:func:`fpgasnn.convert.relu_calibration.calibrate_relus`, NumPy only: the float network with those ReLUs unclipped
is the Keras model's own forward pass).

Input encoding: the Keras model sees ``pixels * input_scale`` where ``pixels`` are the integer inputs of
the SNN (uint8 0..255 by default, so ``input_scale = 1/255`` for a model trained on ``x / 255``).
Images are passed channel-first (N, C, H, W) or flat (N, F) for a model with a flat input. A model
whose first layer is a QKeras quantizer (``QActivation(quantized_bits(8, 0))``, ...) takes that
quantizer's integer codes as pixels instead, each worth its step (:func:`input_encoding` turns data
into them; :class:`fpgasnn.data.userdata.InputEncoding` says how).

TensorFlow is imported only when a function of this module is called.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from fpgasnn.convert.floatnet import FAct, FloatNet
from fpgasnn.convert.relu_calibration import as_model_input, calibrate_pending, check_relu_options
from fpgasnn.errors import FrontendError, UnsupportedLayerError

INPUT_SCALE = 1.0 / 255.0


def _keras_version_of(path: Path) -> str | None:
    """The ``keras_version`` a ``.keras`` zip file records (None if it records none)."""
    try:
        with zipfile.ZipFile(path) as z:
            return str(json.loads(z.read("metadata.json")).get("keras_version"))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return None


def load_model(path: str | Path):
    """Load a ``.h5`` / ``.keras`` / SavedModel file: tf_keras with QKeras' objects and ClipFloorShift
    registered, or Keras 3 for a ``.keras`` file written by Keras 3 (or one tf_keras cannot read)."""
    from fpgasnn.keras.custom_objects import custom_objects
    from fpgasnn.keras.tf_env import keras3, tf_keras

    p = Path(path)
    if not p.exists():
        raise FrontendError(f"model file {str(p)!r} does not exist")
    version = _keras_version_of(p) if p.suffix == ".keras" else None
    first_error = None
    if version is None or not version.startswith("3"):
        tfk = tf_keras()
        try:
            model = tfk.models.load_model(str(p), custom_objects=custom_objects(), compile=False)
        except Exception as e:  # noqa: BLE001 -- h5py, zipfile, JSON, Keras errors: not a model
            first_error = e
        else:
            if not isinstance(model, tfk.Model):
                raise FrontendError(
                    f"{str(p)!r} does not hold a Keras model (found {type(model).__name__})"
                )
            return model
    if p.suffix == ".keras" and zipfile.is_zipfile(p):
        k3 = keras3()
        try:
            model = k3.saving.load_model(str(p), compile=False)
        except Exception as e:  # noqa: BLE001 -- not a Keras 3 model either
            first_error = first_error or e
        else:
            if not isinstance(model, k3.Model):
                raise FrontendError(
                    f"{str(p)!r} does not hold a Keras model (found {type(model).__name__})"
                )
            return model
    e = first_error
    text = str(e).splitlines()[0] if str(e) else ""
    raise FrontendError(
        f"{str(p)!r} is not a readable Keras model file: {type(e).__name__}: {text}"
    )


def _check(model, graph, replace_maxpool: bool) -> None:
    """Raise ONE UnsupportedLayerError for every structural problem and unsupported layer."""
    from fpgasnn.keras.handlers import DROPPED, FLATTEN, Where, handler_for
    from fpgasnn.keras.tf_env import is_keras3

    k3 = is_keras3(model)
    found: dict[str, tuple[str, list[str]]] = {}  # layer name -> (class, reasons), in model order
    for p in graph.problems:
        found.setdefault(p.layer, (p.cls, []))[1].append(p.reason)
    last = len(graph.layers) - 1
    at_input = graph.is_chain
    for i, layer in enumerate(graph.layers):
        h = handler_for(layer, k3)
        if h is None:
            why = "no handler for this layer class"
        else:
            where = Where(
                is_last=i == last and graph.is_chain,
                replace_maxpool=replace_maxpool,
                at_input=at_input,
            )
            why = h.check(layer, where)
        at_input = at_input and h in (DROPPED, FLATTEN)
        if why is not None:
            found.setdefault(layer.name, (type(layer).__name__, []))[1].append(why)
    if found:
        order = [model.name] + [x.name for x in (graph.input_layer, *graph.layers) if x is not None]
        names = sorted(found, key=lambda n: order.index(n) if n in order else len(order))
        lines = "\n".join(f"  {n!r} ({found[n][0]}): {'; '.join(found[n][1])}" for n in names)
        chain = " (a model converts only as one chain of layers)" if graph.problems else ""
        raise UnsupportedLayerError(
            f"model {model.name!r} cannot be converted, {len(found)} "
            f"layer(s) with problems{chain}:\n{lines}"
        )


def from_keras(
    model,
    *,
    calib_images: np.ndarray | Callable[[], np.ndarray] | None = None,
    replace_maxpool: bool = False,
    input_scale: float = INPUT_SCALE,
    relu_levels: int = 4,
    relu_percentile: float | str = 99.9,
    calib_source: str = "",
) -> FloatNet:
    """Read a tf_keras / QKeras / Keras 3 model (or the path of a saved one) into a FloatNet.

    ``calib_images``: the SNN's integer inputs (N, C, H, W) / (N, F), or a function returning them
    (called only if the model has plain ReLUs), that set the plain ReLUs' thresholds; for a model with
    an input quantizer these are its codes (``input_encoding(model, input_scale).pixels(data)``).
    ``calib_source`` says where they come from (recorded in the metadata). Raises
    UnsupportedLayerError (every unsupported layer and structural problem at once) or FrontendError.
    """
    from fpgasnn.keras.graph import read_graph
    from fpgasnn.keras.handlers import Builder, handler_for, input_layer
    from fpgasnn.keras.tf_env import is_keras3

    check_relu_options(relu_levels, relu_percentile)
    source = None
    if isinstance(model, (str, Path)):
        source = str(model)
        model = load_model(model)
    graph = read_graph(model)
    _check(model, graph, replace_maxpool)
    k3 = is_keras3(model)
    in_name = graph.input_layer.name if graph.input_layer is not None else "input"
    finput, shape = input_layer(tuple(model.inputs[0].shape), in_name, input_scale)
    b = Builder(relu_levels=int(relu_levels), shape=shape)
    b.emit(finput)
    for layer in graph.layers:
        handler_for(layer, k3).build(b, layer)
    if isinstance(b.layers[-1], FAct) or len(b.layers) < 2:
        raise FrontendError(
            f"model {model.name!r} must end with a Conv2D/Dense producing the "
            f"logits; its last layer is {graph.layers[-1].name!r}"
        )
    layers, lams, chosen, n_calib = calibrate_pending(
        b.layers, b.pending, calib_images, finput.shape, relu_percentile, f"model {model.name!r}"
    )
    meta: dict[str, Any] = {
        "source": source if source is not None else f"<in-memory model {model.name!r}>",
        "source_model_name": model.name,
        "frontend": "keras3" if k3 else "tf_keras",
        "input_scale": float(input_scale),
        "input_encoding": encoding_of(b.input_code, input_scale).to_meta(),
        "replace_maxpool": bool(replace_maxpool),
        "maxpool_replaced": list(b.maxpool_replaced),
        "relu_levels": int(relu_levels),
        "relu_percentile": relu_percentile if relu_percentile == "auto" else float(relu_percentile),
        "relu_percentiles": chosen,
        "relu_thresholds": lams,
        "relu_calibration_images": n_calib,
        "relu_calibration_source": calib_source if lams else "",
    }
    return FloatNet(layers, meta=meta)


def encoding_of(code: dict | None, input_scale: float):
    """The InputEncoding for an input quantizer's code (None: no quantizer) and the data's scale."""
    from fpgasnn.data.userdata import InputEncoding

    if code is None:
        return InputEncoding(input_scale=float(input_scale))
    return InputEncoding(
        input_scale=float(input_scale),
        step=code["step"],
        lo=code["lo"],
        hi=code["hi"],
        quantizer=f"{code['quantizer']} (layer {code['layer']!r})",
    )


def input_encoding(model, input_scale: float = INPUT_SCALE):
    """How data become the SNN's pixels for ``model`` (:class:`~fpgasnn.data.userdata.InputEncoding`):
    through its input quantizer if its first computing layer is one, else ``pixels * input_scale``
    (also when that quantizer cannot be the input encoding: :func:`from_keras` then refuses the model)."""
    from fpgasnn.keras.graph import read_graph
    from fpgasnn.keras.handlers import DROPPED, FLATTEN, handler_for, input_code
    from fpgasnn.keras.tf_env import is_keras3

    graph = read_graph(model)
    if not graph.is_chain or is_keras3(model):
        return encoding_of(None, input_scale)
    import qkeras

    for layer in graph.layers:
        if handler_for(layer, False) in (DROPPED, FLATTEN):
            continue
        if isinstance(layer, qkeras.QActivation):
            code = input_code(layer.quantizer, qkeras)
            if not isinstance(
                code, str
            ):  # else from_keras refuses the model, with its other problems
                step, lo, hi = code
                return encoding_of(
                    {
                        "layer": layer.name,
                        "quantizer": str(layer.quantizer),
                        "step": step,
                        "lo": lo,
                        "hi": hi,
                    },
                    input_scale,
                )
        break
    return encoding_of(None, input_scale)


def to_keras_input(images, shape: tuple[int, ...], input_scale: float) -> np.ndarray:
    """What the Keras model sees for integer inputs in FloatNet layout: NHWC (or flat) floats."""
    x = as_model_input(images, shape)
    if x.ndim == 4:
        x = x.transpose(0, 2, 3, 1)
    return x.astype(np.float32) * np.float32(input_scale)


def model_input_shape(model) -> tuple[int, ...]:
    """The FloatNet input shape (C, H, W) / (F,) of a Keras model."""
    dims = tuple(int(d) for d in model.inputs[0].shape[1:])
    return (dims[2], dims[0], dims[1]) if len(dims) == 3 else dims
