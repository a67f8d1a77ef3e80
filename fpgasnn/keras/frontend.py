"""Front end: a tf_keras (Keras 2) / QKeras model -> :class:`fpgasnn.convert.floatnet.FloatNet`.

Supported (Sequential models and functional models that are a single chain):
InputLayer (NHWC image) -> FInput (C, H, W) with ``scale = input_scale``; Conv2D/QConv2D (valid/same padding,
same padding as TF pads: the extra row/column goes bottom/right; stride 1 or 2) -> FConv; Dense/QDense ->
FDense (QKeras weights read as their quantized values); BatchNormalization folded into the preceding
Conv/Dense; ClipFloorShift -> FAct(levels, lam, shift); QActivation(quantized_relu(bits, integer)) ->
FAct(2**bits - 1 levels, lam = 2**integer * (1 - 2**-bits), shift 0.5); ReLU (layer, Activation or a
fused ``activation="relu"``) -> FAct(``relu_levels``, lam = ``relu_percentile``-th percentile of the
layer's positive outputs on ``calib_images``); AveragePooling2D (k x k, stride k, valid) -> FPool;
GlobalAveragePooling2D (square input) -> FPool + FFlatten; Flatten -> FFlatten (the next Dense's weights
are permuted from Keras' H, W, C order to C, H, W); Dropout, linear activations and a final softmax are
dropped; MaxPooling2D -> error, or FPool with ``replace_maxpool=True``.

TensorFlow is imported only when a function of this module is called.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fpgasnn.convert.floatnet import FAct, FConv, FDense, FFlatten, FInput, FloatNet, FPool
from fpgasnn.errors import FrontendError, UnsupportedLayerError

INPUT_SCALE = 1.0 / 255.0
DROPPED = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianDropout", "GaussianNoise",
           "AlphaDropout", "ActivityRegularization")


def load_model(path: str | Path):
    """Load a ``.h5`` / ``.keras`` / SavedModel file with QKeras' objects and ClipFloorShift registered."""
    from fpgasnn.keras.tf_env import custom_objects, tf_keras

    p = Path(path)
    if not p.exists():
        raise FrontendError(f"model file {str(p)!r} does not exist")
    tfk = tf_keras()
    try:
        model = tfk.models.load_model(str(p), custom_objects=custom_objects(), compile=False)
    except Exception as e:  # h5py, zipfile, JSON and Keras errors alike: the file is not a model
        raise FrontendError(f"{str(p)!r} is not a readable Keras model file: "
                            f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from e
    if not isinstance(model, tfk.Model):
        raise FrontendError(f"{str(p)!r} does not hold a Keras model (found {type(model).__name__})")
    return model


def _cls(layer) -> str:
    return type(layer).__name__


def _chain(model) -> list:
    """The model's layers as one chain (InputLayer first); FrontendError for anything else."""
    from fpgasnn.keras.tf_env import tf_keras

    tfk = tf_keras()
    for layer in model.layers:
        if isinstance(layer, tfk.Model):
            raise FrontendError(f"layer {layer.name!r} ({_cls(layer)}) is a nested model; flatten it into "
                                "one Sequential or functional model first")
    if not model.built or model.inputs is None:
        raise FrontendError(f"model {model.name!r} has no known input shape; build it (e.g. start it "
                            "with an InputLayer) before converting")
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise FrontendError(f"model {model.name!r} has {len(model.inputs)} inputs and "
                            f"{len(model.outputs)} outputs; expected exactly one of each")
    if isinstance(model, tfk.Sequential):
        return [model.inputs[0]._keras_history.layer] + list(model.layers)
    # Functional: walk from the output back to the input, one inbound layer per step.
    consumers: dict[int, list] = {}
    for layer in model.layers:
        if isinstance(layer, tfk.layers.InputLayer):
            continue
        for node in layer._inbound_nodes:
            ins = node.inbound_layers
            ins = ins if isinstance(ins, list) else [ins]
            if len(ins) != 1:
                raise FrontendError(
                    f"layer {layer.name!r} ({_cls(layer)}) merges {len(ins)} inputs "
                    f"({', '.join(repr(i.name) for i in ins)}); only single-chain models can be converted")
            consumers.setdefault(id(ins[0]), []).append(layer)
    for layer in model.layers:
        users = consumers.get(id(layer), [])
        if len(users) > 1:
            raise FrontendError(
                f"the output of layer {layer.name!r} ({_cls(layer)}) feeds {len(users)} layers "
                f"({', '.join(repr(u.name) for u in users)}); only single-chain models can be converted")
    chain = []
    layer = model.output._keras_history.layer
    while True:
        chain.append(layer)
        if isinstance(layer, tfk.layers.InputLayer):
            break
        ins = layer._inbound_nodes[0].inbound_layers
        layer = ins[0] if isinstance(ins, list) else ins
    return chain[::-1]


@dataclass
class _Builder:
    """Collects FloatNet layers while walking the Keras chain; tracks the Keras tensor layout."""

    replace_maxpool: bool
    relu_levels: int
    relu_lams: dict[str, float]
    layers: list = field(default_factory=list)
    shape: tuple[int, ...] = ()  # Keras layout: (H, W, C) or (D,)
    flat_from: tuple[int, int, int] | None = None  # (H, W, C) flattened, until the next Dense
    foldable: bool = False  # the last layer emitted is a Conv/Dense with no activation after it

    def emit(self, layer, foldable: bool = False) -> None:
        self.layers.append(layer)
        self.foldable = foldable


def _quantized(layer, attr: str, values: np.ndarray) -> np.ndarray:
    q = getattr(layer, f"{attr}_quantizer_internal", None)
    if q is None:
        return values
    return np.asarray(q(values.astype(np.float32)), dtype=np.float64)


def _same_padding(size: int, k: int, s: int) -> tuple[int, int]:
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def _fused_activation(layer) -> str:
    act = getattr(layer, "activation", None)
    name = getattr(act, "__name__", None) or str(act)
    return {"linear": "linear", "relu": "relu", "softmax": "softmax"}.get(name, name)


def _check_layer(layer, is_last: bool) -> str | None:
    """Why ``layer`` is unsupported (None if it is supported)."""
    cls = _cls(layer)
    if cls in ("Conv2D", "QConv2D"):
        if layer.data_format != "channels_last":
            return "data_format channels_first"
        if tuple(layer.dilation_rate) != (1, 1):
            return f"dilation {tuple(layer.dilation_rate)}"
        if getattr(layer, "groups", 1) != 1:
            return f"groups={layer.groups}"
        if layer.strides[0] != layer.strides[1]:
            return f"strides {tuple(layer.strides)}"
    if cls in ("Conv2D", "QConv2D", "Dense", "QDense"):
        act = _fused_activation(layer)
        if act not in ("linear", "relu") and not (act == "softmax" and is_last):
            return f"fused activation {act!r}"
        return None
    if cls == "Activation":
        act = _fused_activation(layer)
        return None if act in ("linear", "relu") or (act == "softmax" and is_last) else f"activation {act!r}"
    if cls == "ReLU":
        ok = layer.max_value is None and float(layer.negative_slope) == 0 and float(layer.threshold) == 0
        return None if ok else "ReLU with max_value, negative_slope or threshold"
    if cls == "QActivation":
        return _qactivation_problem(layer)
    if cls in ("AveragePooling2D", "MaxPooling2D"):
        if layer.pool_size[0] != layer.pool_size[1] or tuple(layer.strides) != tuple(layer.pool_size):
            return f"pool {tuple(layer.pool_size)} stride {tuple(layer.strides)} (need k x k, stride k)"
        if layer.padding != "valid":
            return "padding 'same'"
        return None
    if cls == "Softmax":
        return None if is_last else "softmax before the last layer"
    if cls in ("InputLayer", "BatchNormalization", "Flatten", "ClipFloorShift", "GlobalAveragePooling2D") \
            or cls in DROPPED:
        return None
    return "no handler for this layer class"


def _qactivation_problem(layer) -> str | None:
    q = layer.quantizer
    if type(q).__name__ != "quantized_relu":
        name = getattr(q, "__name__", None) or str(q)
        return None if name == "relu" else f"quantizer {name!r} (need quantized_relu or relu)"
    if q.negative_slope or q.use_sigmoid or q.use_stochastic_rounding or not q.is_quantized_clip:
        return "quantized_relu with negative_slope, sigmoid, stochastic rounding or no clip"
    if float(getattr(q, "qnoise_factor", 1.0)) != 1.0:
        return "quantized_relu with qnoise_factor != 1"
    return None


def _qrelu_act(layer) -> FAct:
    q = layer.quantizer
    bits, integer = int(q.bits), float(np.asarray(q.integer))
    m = 2.0 ** bits
    return FAct(layer.name, levels=int(m) - 1, lam=2.0 ** integer * (1.0 - 1.0 / m), shift=0.5)


def _relu(b: _Builder, name: str) -> None:
    if name not in b.relu_lams:
        raise FrontendError(f"layer {name!r} is a plain ReLU: its threshold comes from calibration data; "
                            "pass calib_images (e.g. a few hundred training images)")
    b.emit(FAct(name, levels=b.relu_levels, lam=b.relu_lams[name], shift=0.5))


def _fold_bn(b: _Builder, layer) -> None:
    if not b.foldable:
        prev = b.layers[-1].name if b.layers else "(none)"
        raise FrontendError(f"BatchNormalization {layer.name!r} must directly follow a Conv2D/Dense "
                            f"(with a linear activation) to be folded; it follows {prev!r}")
    axis = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
    if [a % (len(b.shape) + 1) for a in axis] != [len(b.shape)]:
        raise FrontendError(f"BatchNormalization {layer.name!r}: axis {layer.axis} is not the channel axis")
    n = b.shape[-1]
    gamma = layer.gamma.numpy().astype(np.float64) if layer.scale else np.ones(n)
    beta = layer.beta.numpy().astype(np.float64) if layer.center else np.zeros(n)
    mean = layer.moving_mean.numpy().astype(np.float64)
    var = layer.moving_variance.numpy().astype(np.float64)
    s = gamma / np.sqrt(var + float(layer.epsilon))
    prev = b.layers.pop()
    bias = np.zeros(n) if prev.bias is None else prev.bias
    new_bias = (bias - mean) * s + beta
    if isinstance(prev, FConv):
        b.emit(FConv(prev.name, prev.weight * s[:, None, None, None], new_bias, prev.stride, prev.padding),
               foldable=True)
    else:
        b.emit(FDense(prev.name, prev.weight * s[:, None], new_bias), foldable=True)


def _conv(b: _Builder, layer) -> None:
    if len(b.shape) != 3:
        raise FrontendError(f"layer {layer.name!r} (Conv2D) needs an (H, W, C) input, got {b.shape}")
    h, w, _ = b.shape
    kernel = _quantized(layer, "kernel", layer.kernel.numpy())
    kh, kw, _, o = kernel.shape
    s = int(layer.strides[0])
    if layer.padding == "same":
        pad = (*_same_padding(h, kh, s), *_same_padding(w, kw, s))
    else:
        pad = (0, 0, 0, 0)
    bias = _quantized(layer, "bias", layer.bias.numpy()) if layer.use_bias else None
    b.emit(FConv(layer.name, kernel.transpose(3, 2, 0, 1), bias, s, pad), foldable=True)
    ho = (h + pad[0] + pad[1] - kh) // s + 1
    wo = (w + pad[2] + pad[3] - kw) // s + 1
    b.shape = (ho, wo, o)


def _dense(b: _Builder, layer) -> None:
    if len(b.shape) != 1:
        raise FrontendError(f"layer {layer.name!r} (Dense) needs a flat input (add Flatten), got {b.shape}")
    kernel = _quantized(layer, "kernel", layer.kernel.numpy())  # (I, O), rows in Keras order
    if b.flat_from is not None:
        h, w, c = b.flat_from
        kernel = kernel.reshape(h, w, c, -1).transpose(2, 0, 1, 3).reshape(h * w * c, -1)
        b.flat_from = None
    bias = _quantized(layer, "bias", layer.bias.numpy()) if layer.use_bias else None
    b.emit(FDense(layer.name, kernel.T, bias), foldable=True)
    b.shape = (kernel.shape[1],)


def _pool(b: _Builder, layer, k: int) -> None:
    if len(b.shape) != 3:
        raise FrontendError(f"layer {layer.name!r} ({_cls(layer)}) needs an (H, W, C) input, got {b.shape}")
    h, w, c = b.shape
    b.emit(FPool(layer.name, k))
    b.shape = (h // k, w // k, c)


def _flatten(b: _Builder, name: str) -> None:
    if len(b.shape) == 3:
        b.flat_from = b.shape
        b.emit(FFlatten(name))
        b.shape = (int(np.prod(b.shape)),)


def _handle(b: _Builder, layer, is_last: bool) -> None:
    cls = _cls(layer)
    if cls in ("Conv2D", "QConv2D", "Dense", "QDense"):
        (_conv if "Conv" in cls else _dense)(b, layer)
        if _fused_activation(layer) == "relu":
            _relu(b, layer.name + "/relu")
    elif cls == "BatchNormalization":
        _fold_bn(b, layer)
    elif cls == "ClipFloorShift":
        b.emit(FAct(layer.name, levels=layer.levels, lam=layer.lam(), shift=layer.shift))
    elif cls == "QActivation":
        if type(layer.quantizer).__name__ == "quantized_relu":
            b.emit(_qrelu_act(layer))
        else:
            _relu(b, layer.name)
    elif cls == "ReLU" or (cls == "Activation" and _fused_activation(layer) == "relu"):
        _relu(b, layer.name)
    elif cls == "AveragePooling2D":
        _pool(b, layer, int(layer.pool_size[0]))
    elif cls == "MaxPooling2D":
        if not b.replace_maxpool:
            raise FrontendError(
                f"layer {layer.name!r} (MaxPooling2D): max pooling has no exact spiking equivalent; "
                "retrain with AveragePooling2D, or pass replace_maxpool=True (CLI: --replace-maxpool) "
                "to replace it by average pooling (accuracy may drop)")
        _pool(b, layer, int(layer.pool_size[0]))
    elif cls == "GlobalAveragePooling2D":
        h, w, _ = b.shape
        if h != w:
            raise FrontendError(f"layer {layer.name!r} (GlobalAveragePooling2D) needs a square input, "
                                f"got {h}x{w}")
        _pool(b, layer, h)
        _flatten(b, layer.name + "/flatten")
        b.flat_from = None  # 1 x 1 x C: Keras order == C, H, W order
    elif cls == "Flatten":
        _flatten(b, layer.name)
    # Dropout & co., linear activations, final softmax: nothing to emit.


def _input(model, layer, input_scale: float) -> FInput:
    shape = tuple(model.input_shape)
    if len(shape) != 4 or any(d is None for d in shape[1:]):
        name = layer.name if layer is not None else model.name
        raise FrontendError(f"input layer {name!r}: expected an image input of shape (None, H, W, C) "
                            f"with known H, W, C; got {shape}")
    _, h, w, c = shape
    return FInput(layer.name if layer is not None else "input", (int(c), int(h), int(w)),
                  scale=float(input_scale), bits=8)


def _calibrate_relus(model, chain: list, calib_images, input_scale: float, percentile: float,
                     batch_size: int = 256) -> dict[str, float]:
    """Per plain-ReLU layer: the ``percentile``-th percentile of its positive outputs on the images."""
    from fpgasnn.keras.tf_env import tf_keras

    tfk = tf_keras()
    targets = []  # (name, keras tensor whose ReLU is taken)
    for layer in chain:
        cls = _cls(layer)
        if cls in ("Conv2D", "QConv2D", "Dense", "QDense") and _fused_activation(layer) == "relu":
            targets.append((layer.name + "/relu", layer.output))
        elif cls == "ReLU" or (cls == "Activation" and _fused_activation(layer) == "relu") or (
                cls == "QActivation" and type(layer.quantizer).__name__ != "quantized_relu"):
            targets.append((layer.name, layer.output))
    if not targets or calib_images is None:
        return {}
    x = _to_keras_input(calib_images, model, input_scale)
    probe = tfk.Model(model.inputs, [t for _, t in targets])
    outs = probe.predict(x, batch_size=batch_size, verbose=0)
    outs = outs if isinstance(outs, list) else [outs]
    lams = {}
    for (name, _), out in zip(targets, outs):
        pos = np.asarray(out, dtype=np.float64)
        pos = pos[pos > 0]
        if pos.size == 0:
            raise FrontendError(f"layer {name!r}: no positive activation on the calibration images; "
                                "cannot choose its threshold")
        lams[name] = float(np.percentile(pos, percentile))
    return lams


def _to_keras_input(images, model, input_scale: float) -> np.ndarray:
    x = np.asarray(images)
    want = tuple(model.input_shape[1:])
    if x.ndim == 4 and tuple(x.shape[1:]) == (want[2], want[0], want[1]):
        x = x.transpose(0, 2, 3, 1)  # channel-first uint8 images -> NHWC
    elif x.ndim == 3 and want[2] == 1 and tuple(x.shape[1:]) == want[:2]:
        x = x[..., None]
    if tuple(x.shape[1:]) != want:
        raise FrontendError(f"images of shape {tuple(np.shape(images))} do not fit the model input "
                            f"{model.input_shape}; expected (N, C, H, W) = (N, {want[2]}, {want[0]}, "
                            f"{want[1]})")
    return x.astype(np.float32) * np.float32(input_scale)


def from_keras(model, *, calib_images=None, replace_maxpool: bool = False, input_scale: float = INPUT_SCALE,
               relu_levels: int = 4, relu_percentile: float = 99.9) -> FloatNet:
    """Read a tf_keras/QKeras model (or the path of a saved one) into a FloatNet.

    ``calib_images``: integer images (N, C, H, W) (or NHWC) used to set the thresholds of plain ReLUs.
    Raises UnsupportedLayerError (every unsupported layer at once) or FrontendError (structure, shapes).
    """
    source = None
    if isinstance(model, (str, Path)):
        source = str(model)
        model = load_model(model)
    chain = _chain(model)
    input_layer = chain[0] if chain and _cls(chain[0]) == "InputLayer" else None
    body = chain[1:] if input_layer is not None else chain
    bad = [(layer, why) for i, layer in enumerate(body)
           if (why := _check_layer(layer, i == len(body) - 1)) is not None]
    if bad:
        lines = "; ".join(f"{layer.name!r} ({_cls(layer)}: {why})" for layer, why in bad)
        raise UnsupportedLayerError(f"model {model.name!r} has {len(bad)} unsupported layer(s): {lines}")
    finput = _input(model, input_layer, input_scale)
    relu_lams = _calibrate_relus(model, body, calib_images, input_scale, relu_percentile)
    b = _Builder(replace_maxpool=replace_maxpool, relu_levels=relu_levels, relu_lams=relu_lams)
    b.emit(finput)
    c, h, w = finput.shape
    b.shape = (h, w, c)
    for i, layer in enumerate(body):
        _handle(b, layer, i == len(body) - 1)
    if isinstance(b.layers[-1], FAct):
        raise FrontendError(f"the last layer {b.layers[-1].name!r} is an activation; the model must end "
                            "with a Conv2D/Dense producing the logits")
    meta: dict[str, Any] = {
        "source": source if source is not None else f"<in-memory model {model.name!r}>",
        "source_model_name": model.name,
        "frontend": "keras",
        "input_scale": float(input_scale),
        "replace_maxpool": bool(replace_maxpool),
        "relu_levels": int(relu_levels),
        "relu_percentile": float(relu_percentile),
        "calibration_images": 0 if calib_images is None else len(calib_images),
        "relu_thresholds": dict(relu_lams),
    }
    return FloatNet(tuple(b.layers), meta=meta)
