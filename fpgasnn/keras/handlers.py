"""One handler per Keras layer class: the support check and the construction of FloatNet layers, in one
place. :func:`handler_for` dispatches on the layer's exact class (a subclass with its own ``call`` may
compute something else, so it is not taken for its base).

The registry is built per framework on first use: tf_keras + QKeras + :class:`ClipFloorShift`, or
Keras 3. Both share the handler objects below; they read only attributes both frameworks have.

Mapping (Keras tensors are NHWC; FloatNet tensors are CHW):
- Conv2D / QConv2D (valid or same padding as TF pads: the extra row/column bottom/right; equal strides;
  no dilation or groups) -> FConv; Dense / QDense -> FDense. QKeras weights and biases are read through
  their quantizers (``quantized_bits``, ``quantized_po2``, ... : the values the layer computes with).
- A fused activation: ``linear`` (none), ``relu`` (a plain ReLU, see below), ``relu6`` (ReLU clipped at
  6), ``softmax`` on the last layer (dropped: argmax does not see it).
- BatchNormalization after a Conv/Dense with a linear activation: folded into it.
- ClipFloorShift(L, lam, shift) -> FAct(L, lam, shift); QActivation(quantized_relu(bits, integer)) ->
  FAct(2**bits - 1, 2**integer * (1 - 2**-bits), 0.5) whatever T is (at T < L the spike count is the
  clip-floor-shift level of T, the papers' rule; the accuracy cost is measured, not refused).
- Plain ReLU (``ReLU()``, ``Activation("relu")``, fused ``relu``, ``QActivation("relu")``) ->
  FAct(relu_levels, lam, 0.5) with lam the ``relu_percentile``-th percentile of the layer's positive
  float outputs on calibration images. ``ReLU(max_value=m)`` / relu6 -> FAct(relu_levels, m, 0.5): the
  clip is the threshold, no calibration.
- Two activations in a row are one: a plain ReLU directly before another activation is dropped
  (``h(relu(z)) == h(z)`` for every activation here: each is 0 for z <= 0), and a plain ReLU directly
  after a quantized one is dropped (``relu(h(z)) == h(z)``).
- AveragePooling2D (k x k, stride k, valid) -> FPool; MaxPooling2D -> FPool only with
  ``replace_maxpool``; GlobalAveragePooling2D (square input) -> FPool + FFlatten.
- Flatten -> FFlatten (the next Dense's rows are permuted from H, W, C to C, H, W order).
- Dropout and its kin, and a Softmax layer at the end: nothing.
- A QKeras quantizer on the input itself (``QActivation(quantized_bits(...))`` or
  ``QActivation(quantized_relu(...))`` before any Conv/Dense, only Dropout-like layers or a Flatten
  between): the input encoding, no layer. Its step becomes the unit of the SNN's integer input and its
  codes ``clip(round(x / step), lo, hi)`` the pixels (:func:`input_code`, checked against the quantizer
  itself), so the first Conv/Dense receives exactly what the quantizer passes on. Any other activation
  there is refused (it would have no Conv/Dense before it to become neurons of).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from fpgasnn.convert.floatnet import FAct, FConv, FDense, FFlatten, FInput, FPool
from fpgasnn.errors import FrontendError
from fpgasnn.ir.nodes import same_padding


@dataclass(frozen=True)
class Where:
    """What a support check may depend on besides the layer: its place and the user's options."""

    is_last: bool
    replace_maxpool: bool
    at_input: bool = False
    """Only the input (and layers that compute nothing: Dropout & kin, Flatten) comes before it."""


@dataclass
class Builder:
    """Collects FloatNet layers while walking the chain; tracks the Keras tensor layout."""

    relu_levels: int
    layers: list = field(default_factory=list)
    shape: tuple[int, ...] = ()  # Keras layout: (H, W, C) or (D,)
    flat_from: tuple[int, int, int] | None = None  # (H, W, C) flattened, until the next Dense
    foldable: bool = False  # the last layer emitted is a Conv/Dense with no activation after it
    pending: set[str] = field(default_factory=set)  # plain ReLUs whose threshold calibration sets
    input_code: dict | None = None  # the input quantizer: layer, quantizer, step, lo, hi
    maxpool_replaced: list[str] = field(
        default_factory=list
    )  # MaxPooling2D read as average pooling

    @property
    def at_input(self) -> bool:
        """Nothing that computes has been emitted yet (only the input and flattening)."""
        return all(isinstance(x, (FInput, FFlatten)) for x in self.layers)

    def set_input_code(self, layer_name: str, quantizer: str, code: tuple[float, int, int]) -> None:
        """The input quantizer becomes the input encoding: the FInput's unit is its step."""
        from fpgasnn.data.userdata import pixel_width

        step, lo, hi = code
        bits, signed = pixel_width(lo, hi)
        old = self.layers[0]
        self.layers[0] = FInput(old.name, old.shape, scale=step, bits=bits, signed=signed)
        self.input_code = {
            "layer": layer_name,
            "quantizer": quantizer,
            "step": step,
            "lo": lo,
            "hi": hi,
        }

    def emit(self, layer, foldable: bool = False) -> None:
        self.layers.append(layer)
        self.foldable = foldable

    def emit_act(self, act: FAct, plain: bool = False) -> None:
        """Emit an activation; two in a row become one (module docstring)."""
        prev = self.layers[-1] if self.layers else None
        if isinstance(prev, FAct):
            if prev.name in self.pending:
                self.layers.pop()
                self.pending.discard(prev.name)
            elif plain:
                return
            else:
                raise FrontendError(
                    f"activation {act.name!r} directly follows activation "
                    f"{prev.name!r}; two quantizers in a row do not make one neuron"
                )
        self.emit(act)
        if plain:
            self.pending.add(act.name)

    def plain_relu(self, name: str) -> None:
        self.emit_act(FAct(name, levels=self.relu_levels, lam=1.0, shift=0.5), plain=True)

    def clipped_relu(self, name: str, clip: float) -> None:
        self.emit_act(FAct(name, levels=self.relu_levels, lam=float(clip), shift=0.5))


@dataclass(frozen=True)
class Handler:
    """``check(layer, where)`` says why the layer is unsupported (None: supported);
    ``build(builder, layer)`` emits its FloatNet layers."""

    check: Callable[[Any, Where], str | None]
    build: Callable[[Builder, Any], None]


def _np(v) -> np.ndarray:
    return np.asarray(v.numpy() if hasattr(v, "numpy") else v, dtype=np.float64)


def _quantized(layer, attr: str) -> np.ndarray:
    """A weight as the layer computes with it: through its QKeras quantizer if it has one."""
    values = getattr(layer, attr)
    q = getattr(layer, f"{attr}_quantizer_internal", None)
    if q is None:
        return _np(values)
    return np.asarray(q(_np(values).astype(np.float32)), dtype=np.float64)


def _act_name(fn) -> str:
    return getattr(fn, "__name__", None) or str(fn)


ON_INPUT = (
    "an activation directly on the input (no Conv2D/Dense before it to become neurons of); "
    "only a QKeras quantizer, QActivation(quantized_bits(...)) or QActivation(quantized_relu(...)), "
    "can be there: it becomes the input encoding"
)


def _check_activation(name: str, where: Where) -> str | None:
    if name in ("relu", "relu6") and where.at_input:
        return ON_INPUT
    if name in ("linear", "relu", "relu6") or (name == "softmax" and where.is_last):
        return None
    if name == "softmax":
        return "softmax before the last layer"
    return f"activation {name!r} (supported: linear, relu, relu6, a final softmax)"


def _build_activation(b: Builder, name: str, layer_name: str) -> None:
    if name == "relu":
        b.plain_relu(layer_name)
    elif name == "relu6":
        b.clipped_relu(layer_name, 6.0)


def _fused(check_layer: Callable[[Any], str | None]) -> Callable[[Any, Where], str | None]:
    def check(layer, where: Where) -> str | None:
        why = check_layer(layer)
        if why is not None:
            return why
        # the layer itself computes: its fused activation is not on the input
        act = _check_activation(_act_name(layer.activation), replace(where, at_input=False))
        return None if act is None else f"fused {act}"

    return check


def _check_conv(layer) -> str | None:
    if layer.data_format != "channels_last":
        return f"data_format {layer.data_format!r} (need channels_last)"
    if tuple(layer.dilation_rate) != (1, 1):
        return f"dilation {tuple(layer.dilation_rate)}"
    if getattr(layer, "groups", 1) != 1:
        return f"groups={layer.groups}"
    if layer.strides[0] != layer.strides[1]:
        return f"strides {tuple(layer.strides)} (need equal strides)"
    if layer.padding not in ("valid", "same"):
        return f"padding {layer.padding!r}"
    return None


def _build_conv(b: Builder, layer) -> None:
    if len(b.shape) != 3:
        raise FrontendError(
            f"layer {layer.name!r} (Conv2D) needs an (H, W, C) input, got {b.shape}"
        )
    h, w, _ = b.shape
    kernel = _quantized(layer, "kernel")
    kh, kw, _, o = kernel.shape
    s = int(layer.strides[0])
    pad = (
        (*same_padding(h, kh, s), *same_padding(w, kw, s)) if layer.padding == "same" else (0,) * 4
    )
    bias = _quantized(layer, "bias") if layer.use_bias else None
    b.emit(FConv(layer.name, kernel.transpose(3, 2, 0, 1), bias, s, pad), foldable=True)
    b.shape = ((h + pad[0] + pad[1] - kh) // s + 1, (w + pad[2] + pad[3] - kw) // s + 1, o)
    _build_activation(
        b, _act_name(layer.activation), layer.name + "/" + _act_name(layer.activation)
    )


def _build_dense(b: Builder, layer) -> None:
    if len(b.shape) != 1:
        raise FrontendError(
            f"layer {layer.name!r} (Dense) needs a flat input (add Flatten), got {b.shape}"
        )
    kernel = _quantized(layer, "kernel")  # (I, O), rows in Keras order
    if b.flat_from is not None:
        h, w, c = b.flat_from
        kernel = kernel.reshape(h, w, c, -1).transpose(2, 0, 1, 3).reshape(h * w * c, -1)
        b.flat_from = None
    bias = _quantized(layer, "bias") if layer.use_bias else None
    b.emit(FDense(layer.name, kernel.T, bias), foldable=True)
    b.shape = (kernel.shape[1],)
    _build_activation(
        b, _act_name(layer.activation), layer.name + "/" + _act_name(layer.activation)
    )


def _build_bn(b: Builder, layer) -> None:
    if not b.foldable:
        prev = b.layers[-1].name if b.layers else "(none)"
        raise FrontendError(
            f"BatchNormalization {layer.name!r} must directly follow a Conv2D/Dense "
            f"(with a linear activation) to be folded; it follows {prev!r}"
        )
    axis = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
    if [a % (len(b.shape) + 1) for a in axis] != [len(b.shape)]:
        raise FrontendError(
            f"BatchNormalization {layer.name!r}: axis {layer.axis} is not the channel axis"
        )
    n = b.shape[-1]
    gamma = _np(layer.gamma) if layer.scale else np.ones(n)
    beta = _np(layer.beta) if layer.center else np.zeros(n)
    s = gamma / np.sqrt(_np(layer.moving_variance) + float(layer.epsilon))
    prev = b.layers.pop()
    bias = np.zeros(n) if prev.bias is None else prev.bias
    new_bias = (bias - _np(layer.moving_mean)) * s + beta
    if isinstance(prev, FConv):
        b.emit(
            FConv(
                prev.name, prev.weight * s[:, None, None, None], new_bias, prev.stride, prev.padding
            ),
            foldable=True,
        )
    else:
        b.emit(FDense(prev.name, prev.weight * s[:, None], new_bias), foldable=True)


def _check_bn(layer, where: Where) -> str | None:
    return None


def _check_relu(layer, where: Where) -> str | None:
    if where.at_input:
        return ON_INPUT
    slope = float(_np(layer.negative_slope))
    if slope != 0.0:
        return f"negative_slope {slope:g} (a leaky ReLU has no spiking equivalent here)"
    if float(_np(layer.threshold)) != 0.0:
        return f"threshold {float(_np(layer.threshold)):g} (need 0)"
    if layer.max_value is not None and not float(_np(layer.max_value)) > 0:
        return f"max_value {float(_np(layer.max_value)):g} (need > 0)"
    return None


def _build_relu(b: Builder, layer) -> None:
    if layer.max_value is None:
        b.plain_relu(layer.name)
    else:
        b.clipped_relu(layer.name, float(_np(layer.max_value)))


def _check_act_layer(layer, where: Where) -> str | None:
    return _check_activation(_act_name(layer.activation), where)


def _build_act_layer(b: Builder, layer) -> None:
    _build_activation(b, _act_name(layer.activation), layer.name)


def _check_pool(layer) -> str | None:
    if layer.data_format != "channels_last":
        return f"data_format {layer.data_format!r} (need channels_last)"
    k, s = tuple(layer.pool_size), tuple(layer.strides)
    if k[0] != k[1] or s != k:
        return f"pool {k} stride {s} (need k x k, stride k)"
    if layer.padding != "valid":
        return f"padding {layer.padding!r} (need valid)"
    return None


def _build_pool(b: Builder, layer) -> None:
    if len(b.shape) != 3:
        raise FrontendError(
            f"layer {layer.name!r} ({type(layer).__name__}) needs an (H, W, C) input, got {b.shape}"
        )
    h, w, c = b.shape
    k = int(layer.pool_size[0])
    b.emit(FPool(layer.name, k))
    b.shape = (h // k, w // k, c)


def _build_maxpool(b: Builder, layer) -> None:
    _build_pool(b, layer)
    b.maxpool_replaced.append(layer.name)


def _check_maxpool(layer, where: Where) -> str | None:
    why = _check_pool(layer)
    if why is None and not where.replace_maxpool:
        return (
            "max pooling has no exact spiking equivalent; retrain with AveragePooling2D, or "
            "replace it by average pooling with replace_maxpool=True (CLI: --replace-maxpool; "
            "accuracy may drop)"
        )
    return why


def _flatten(b: Builder, name: str) -> None:
    if len(b.shape) == 3:
        b.flat_from = b.shape
        b.emit(FFlatten(name))
        b.shape = (int(np.prod(b.shape)),)


def _check_gap(layer, where: Where) -> str | None:
    if layer.data_format != "channels_last":
        return f"data_format {layer.data_format!r} (need channels_last)"
    if getattr(layer, "keepdims", False):
        return "keepdims=True"
    return None


def _build_gap(b: Builder, layer) -> None:
    if len(b.shape) != 3 or b.shape[0] != b.shape[1]:
        raise FrontendError(
            f"layer {layer.name!r} (GlobalAveragePooling2D) needs a square (H, W, C) "
            f"input, got {b.shape}"
        )
    b.emit(FPool(layer.name, b.shape[0]))
    b.shape = (1, 1, b.shape[2])
    _flatten(b, layer.name + "/flatten")
    b.flat_from = None  # 1 x 1 x C: Keras order == C, H, W order


def _check_flatten(layer, where: Where) -> str | None:
    fmt = getattr(layer, "data_format", "channels_last")
    return None if fmt == "channels_last" else f"data_format {fmt!r} (need channels_last)"


def _build_flatten(b: Builder, layer) -> None:
    _flatten(b, layer.name)


def _check_softmax(layer, where: Where) -> str | None:
    return None if where.is_last else "softmax before the last layer"


def _ok(layer, where: Where) -> str | None:
    return None


def _nothing(b: Builder, layer) -> None:
    return None


def _check_cfs(layer, where: Where) -> str | None:
    return ON_INPUT if where.at_input else None


def _build_cfs(b: Builder, layer) -> None:
    b.emit_act(FAct(layer.name, levels=layer.levels, lam=layer.lam(), shift=layer.shift))


def input_code(q, qkeras) -> tuple[float, int, int] | str:
    """(step, lo, hi) of a QKeras quantizer on the model's input: it maps a value ``x`` to
    ``clip(round(x / step), lo, hi) * step``; or why it cannot be the input encoding. The mapping read
    from the quantizer's settings is checked against the quantizer itself on every code and every
    midpoint between codes (TensorFlow rounds halves to even, as NumPy's ``rint``)."""
    what = f"input quantizer {str(q)!r}"
    if isinstance(q, qkeras.quantized_bits):
        if isinstance(q.alpha, str):
            return f"{what}: alpha={q.alpha!r} scales by each batch's values, not a fixed grid"
        if q.use_stochastic_rounding:
            return f"{what}: stochastic rounding"
        unsigned = int(q.bits) - int(bool(q.keep_negative))
        if unsigned <= 0:
            return f"{what}: 1 bit keeps only the sign, not a fixed-point code"
        m, m_i = 2.0**unsigned, 2.0 ** float(np.asarray(q.integer))
        alpha = 1.0 if q.alpha is None else float(np.asarray(q.alpha))
        if not alpha > 0:
            return f"{what}: alpha {alpha:g} (need > 0)"
        step = alpha * m_i / m
        lo = int(-m + int(bool(q.symmetric))) if q.keep_negative else 0
        hi = int(m) - 1
    elif isinstance(q, qkeras.quantized_relu):
        if q.negative_slope or q.use_sigmoid or q.use_stochastic_rounding:
            return f"{what}: negative_slope, sigmoid or stochastic rounding"
        if q.relu_upper_bound and not q.is_quantized_clip:
            return f"{what}: relu_upper_bound (a clip between the codes)"
        m, m_i = 2.0 ** int(q.bits), 2.0 ** float(np.asarray(q.integer))
        step, lo, hi = m_i / m, 0, int(m) - 1
    else:
        return (
            f"quantizer {_act_name(q)!r} on the input (need quantized_bits or quantized_relu: "
            "a fixed-point grid the SNN's integer pixels can hold)"
        )
    if float(getattr(q, "qnoise_factor", 1.0)) != 1.0:
        return f"{what}: qnoise_factor != 1 (it passes unquantized values on)"
    if hi - lo >= 1 << 16:
        return f"{what}: {hi - lo + 1} codes need more than the SNN input's 16 bits"
    k = np.arange(2 * (lo - 2), 2 * (hi + 3))  # every code and every midpoint, a little beyond
    probe = (k * (step / 2)).astype(np.float32)
    got = np.asarray(q(probe), dtype=np.float64)
    want = np.clip(np.rint(probe.astype(np.float64) / step), lo, hi) * step
    bad = np.flatnonzero(got != want)
    if bad.size:
        i = bad[0]
        return (
            f"{what} does not map exactly onto integer pixels: for x = {probe[i]:.9g} it gives "
            f"{got[i]:.9g}, clip(round(x / {step:g}), {lo}, {hi}) * {step:g} = {want[i]:.9g}"
        )
    return float(step), int(lo), int(hi)


def _qactivation(qkeras) -> Handler:
    quantized_relu = qkeras.quantized_relu

    def check(layer, where: Where) -> str | None:
        q = layer.quantizer
        if where.at_input:
            code = input_code(q, qkeras)
            return code if isinstance(code, str) else None
        if isinstance(q, quantized_relu):
            if (
                q.negative_slope
                or q.use_sigmoid
                or q.use_stochastic_rounding
                or not q.is_quantized_clip
            ):
                return "quantized_relu with negative_slope, sigmoid, stochastic rounding or no clip"
            if float(getattr(q, "qnoise_factor", 1.0)) != 1.0:
                return "quantized_relu with qnoise_factor != 1"
            return None
        name = _act_name(q)
        return None if name == "relu" else f"quantizer {name!r} (need quantized_relu or relu)"

    def build(b: Builder, layer) -> None:
        q = layer.quantizer
        if b.at_input:
            code = input_code(q, qkeras)
            if isinstance(code, str):
                raise FrontendError(f"layer {layer.name!r}: {code}")
            b.set_input_code(layer.name, str(q), code)
            return
        if not isinstance(q, quantized_relu):
            b.plain_relu(layer.name)
            return
        m = 2.0 ** int(q.bits)
        lam = 2.0 ** float(np.asarray(q.integer)) * (1.0 - 1.0 / m)
        b.emit_act(FAct(layer.name, levels=int(m) - 1, lam=lam, shift=0.5))

    return Handler(check, build)


CONV = Handler(_fused(_check_conv), _build_conv)
DENSE = Handler(_fused(lambda layer: None), _build_dense)
BATCHNORM = Handler(_check_bn, _build_bn)
RELU = Handler(_check_relu, _build_relu)
ACTIVATION = Handler(_check_act_layer, _build_act_layer)
AVGPOOL = Handler(lambda layer, where: _check_pool(layer), _build_pool)
MAXPOOL = Handler(_check_maxpool, _build_maxpool)
GLOBALAVG = Handler(_check_gap, _build_gap)
FLATTEN = Handler(_check_flatten, _build_flatten)
SOFTMAX = Handler(_check_softmax, _nothing)
DROPPED = Handler(_ok, _nothing)
CLIP_FLOOR_SHIFT = Handler(_check_cfs, _build_cfs)

_BY_NAME = {  # attribute of the framework's ``layers`` module -> handler
    "Conv2D": CONV,
    "Dense": DENSE,
    "BatchNormalization": BATCHNORM,
    "ReLU": RELU,
    "Activation": ACTIVATION,
    "AveragePooling2D": AVGPOOL,
    "MaxPooling2D": MAXPOOL,
    "GlobalAveragePooling2D": GLOBALAVG,
    "Flatten": FLATTEN,
    "Softmax": SOFTMAX,
    "Dropout": DROPPED,
    "SpatialDropout1D": DROPPED,
    "SpatialDropout2D": DROPPED,
    "GaussianDropout": DROPPED,
    "GaussianNoise": DROPPED,
    "AlphaDropout": DROPPED,
    "ActivityRegularization": DROPPED,
}
_REGISTRIES: dict[str, dict[type, Handler]] = {}


def registry(keras3: bool) -> dict[type, Handler]:
    """Layer class -> handler, for Keras 3 or for tf_keras (+ QKeras and fpgasnn's own layer)."""
    key = "keras3" if keras3 else "tf_keras"
    if key in _REGISTRIES:
        return _REGISTRIES[key]
    from fpgasnn.keras import tf_env
    from fpgasnn.keras.custom_objects import custom_objects

    K = tf_env.keras3() if keras3 else tf_env.tf_keras()
    reg = {getattr(K.layers, n): h for n, h in _BY_NAME.items() if hasattr(K.layers, n)}
    if not keras3:
        custom_objects()  # QKeras imported quietly
        import qkeras

        from fpgasnn.keras.layers import ClipFloorShift

        reg.update(
            {
                qkeras.QConv2D: CONV,
                qkeras.QDense: DENSE,
                qkeras.QActivation: _qactivation(qkeras),
                ClipFloorShift: CLIP_FLOOR_SHIFT,
            }
        )
    _REGISTRIES[key] = reg
    return reg


def handler_for(layer, keras3: bool) -> Handler | None:
    return registry(keras3).get(type(layer))


def input_layer(shape: tuple, name: str, input_scale: float) -> tuple[FInput, tuple[int, ...]]:
    """The FloatNet input for a Keras input ``shape`` (None, H, W, C) or (None, F), and the Keras
    layout the chain starts from."""
    dims = tuple(shape[1:])
    if len(dims) not in (1, 3) or any(d is None for d in dims):
        raise FrontendError(
            f"input layer {name!r}: expected an input of shape (None, H, W, C) or "
            f"(None, F) with known sizes; got {tuple(shape)}"
        )
    dims = tuple(int(d) for d in dims)
    chw = (dims[2], dims[0], dims[1]) if len(dims) == 3 else dims
    return FInput(name, chw, scale=float(input_scale), bits=8), dims
