"""One handler per ONNX op type: the support check and the construction of FloatNet layers, in one place
(:data:`HANDLERS`); element-wise ops are read as runs (:mod:`fpgasnn.onnx.scalar`).

ONNX tensors are NCHW, like FloatNet's (C, H, W): no layout change, and Flatten's C, H, W order is
ONNX's own. The chain is cut into *items*: a single structural node, or a *run* of consecutive
element-wise nodes (:data:`ELEMENTWISE`), which together compute one function.

Mapping:
- Conv (2-D, group 1, no dilation, equal strides; explicit pads or auto_pad) -> FConv; Gemm (transA 0)
  and MatMul by a constant -> FDense. Weights may come from any constant computation (a Brevitas
  weight ``Quant``, a ``Transpose``, ...): they are folded with NumPy, so the FloatNet holds the values
  the model computes with.
- A run directly after a Conv/Gemm/MatMul: its per-channel part (BatchNormalization, Add / Mul / Sub /
  Div by a per-channel constant, e.g. MatMul's bias Add) is folded into that layer; the rest is read
  as one activation -- the QCFS clip-floor-shift chain, a QONNX ``Quant`` (-> FAct with its L, lambda
  and shift), a Relu (calibrated from data), a ReLU clipped at m (Clip(0, m), ReLU6, Hardtanh(0, m)) --
  or, if it is affine only, folded as well. A positive scale after an activation goes into the next
  Conv/Gemm's weights.
- A run on the input itself (before any other node) is allowed when it multiplies every pixel value
  by one positive number (``x / 255``, an identity ``Quant``): that number joins the input scale.
- AveragePool (k x k, stride k, no padding, floor mode) -> FPool; MaxPool likewise only with
  ``replace_maxpool``; GlobalAveragePool (square input) -> FPool.
- Flatten (axis 1), a Reshape to (N, C*H*W) (constant target, or computed from the input's shape
  as ``x.view(x.size(0), -1)`` exports it) and a Squeeze of 1 x 1 spatial axes -> FFlatten.
- Identity and Dropout: nothing; Softmax / LogSoftmax at the end: nothing (argmax does not see it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from fpgasnn.convert.floatnet import FAct, FConv, FDense, FFlatten, FInput, FPool
from fpgasnn.errors import FrontendError
from fpgasnn.onnx.graph import QONNX_DOMAINS, Graph, _attr, quant_limits
from fpgasnn.onnx.scalar import INF, Recognised, evaluate, recognise

ELEMENTWISE = frozenset(
    ["Relu", "Clip", "Floor", "Div", "Mul", "Add", "Sub", "Quant", "BatchNormalization"]
    + ["Identity", "Dropout"]
)
LINEAR = frozenset(["Conv", "Gemm", "MatMul"])
TAIL = frozenset(["Softmax", "LogSoftmax", "Identity", "Dropout"])


@dataclass(frozen=True)
class Where:
    """What a check may depend on besides the node: its place and the user's options."""

    after_linear: bool  # the previous item is a Conv/Gemm/MatMul
    at_input: bool  # nothing comes before it
    is_tail: bool  # only Softmax / Identity / Dropout follow it
    replace_maxpool: bool
    input_scale: float
    input_bits: int = 8


@dataclass
class Builder:
    """Collects FloatNet layers while walking the chain; tracks the (C, H, W) / (F,) shape."""

    graph: Graph
    relu_levels: int
    shape: tuple[int, ...]
    layers: list = field(default_factory=list)
    scale_next: float = 1.0  # a scale an activation passed on to the next Conv/Gemm's weights
    pending: set[str] = field(default_factory=set)  # plain ReLUs whose threshold calibration sets
    taken: set[str] = field(default_factory=set)
    activations: dict[str, dict] = field(default_factory=dict)

    def name(self, base: str) -> str:
        name, k = base or "layer", 2
        while name in self.taken:
            name = f"{base}_{k}"
            k += 1
        self.taken.add(name)
        return name

    def emit(self, layer) -> None:
        self.layers.append(layer)

    def linear(self, weight: np.ndarray) -> np.ndarray:
        w, self.scale_next = weight * self.scale_next, 1.0
        return w


@dataclass(frozen=True)
class Handler:
    """``check(graph, node, where)`` says why the node is unsupported (None: supported);
    ``build(builder, node)`` emits its FloatNet layers."""

    check: Callable[[Graph, object, Where], str | None]
    build: Callable[[Builder, object], None]


def _ints(v) -> list[int]:
    return [int(i) for i in v] if v is not None else []


def _const_input(g: Graph, node, k: int, what: str, ndim: int | None = None) -> str | None:
    if len(node.input) <= k or not node.input[k]:
        return f"no {what}"
    v, why = g.try_const(node.input[k])
    if v is None:
        return f"its {what} is not a constant ({why})"
    if ndim is not None and v.ndim != ndim:
        return f"its {what} has {v.ndim} dimensions, expected {ndim}"
    return None


# --- Conv, Gemm, MatMul -------------------------------------------------------------------------


def _check_conv(g: Graph, node, where: Where) -> str | None:
    if node.input[0] not in g.data_tensors:
        return "the input is not the convolution's first operand"
    why = _const_input(g, node, 1, "weight", 4)
    if why:
        return why + " (only 2-D convolutions)"
    if len(node.input) > 2 and node.input[2]:
        why = _const_input(g, node, 2, "bias", 1)
        if why:
            return why
    if _attr(node, "group", 1) != 1:
        return f"group={_attr(node, 'group')} (need 1)"
    if any(d != 1 for d in _ints(_attr(node, "dilations"))):
        return f"dilations {_ints(_attr(node, 'dilations'))} (need 1)"
    s = _ints(_attr(node, "strides")) or [1, 1]
    if len(s) != 2 or s[0] != s[1]:
        return f"strides {s} (need equal strides)"
    pad = _attr(node, "auto_pad", "NOTSET")
    if pad not in ("NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"):
        return f"auto_pad {pad!r}"
    return None


def _pads(node, h: int, w: int, kh: int, kw: int, s: int) -> tuple[int, int, int, int]:
    mode = _attr(node, "auto_pad", "NOTSET")
    if mode in ("SAME_UPPER", "SAME_LOWER"):
        out = []
        for size, k in ((h, kh), (w, kw)):
            total = max((-(-size // s) - 1) * s + k - size, 0)
            small, big = total // 2, total - total // 2
            out.append((small, big) if mode == "SAME_UPPER" else (big, small))
        return out[0][0], out[0][1], out[1][0], out[1][1]
    p = _ints(_attr(node, "pads")) or [0, 0, 0, 0]
    return p[0], p[2], p[1], p[3]  # ONNX: (top, left, bottom, right)


def _build_conv(b: Builder, node) -> None:
    g = b.graph
    name = g.node_name(node)
    if len(b.shape) != 3:
        raise FrontendError(f"node {name!r} (Conv) needs a (C, H, W) input, got {b.shape}")
    w = g.const(node.input[1]).astype(np.float64)
    o, c, kh, kw = w.shape
    if c != b.shape[0]:
        raise FrontendError(
            f"node {name!r} (Conv): weight expects {c} input channels, the input has {b.shape[0]}"
        )
    bias = (
        g.const(node.input[2]).astype(np.float64) if len(node.input) > 2 and node.input[2] else None
    )
    s = (_ints(_attr(node, "strides")) or [1])[0]
    _, h, wd = b.shape
    pad = _pads(node, h, wd, kh, kw, s)
    b.emit(FConv(b.name(name), b.linear(w), bias, s, pad))
    b.shape = (o, (h + pad[0] + pad[1] - kh) // s + 1, (wd + pad[2] + pad[3] - kw) // s + 1)


def _check_gemm(g: Graph, node, where: Where) -> str | None:
    if _attr(node, "transA", 0):
        return "transA=1"
    if node.input[0] not in g.data_tensors:
        return "the input is not Gemm's first operand"
    why = _const_input(g, node, 1, "weight", 2)
    if why:
        return why
    if len(node.input) > 2 and node.input[2]:
        return _const_input(g, node, 2, "bias")
    return None


def _dense(b: Builder, name: str, op: str, w_io: np.ndarray, bias) -> None:
    if len(b.shape) != 1:
        raise FrontendError(
            f"node {name!r} ({op}) needs a flat input (add a Flatten before it), got {b.shape}"
        )
    if w_io.shape[0] != b.shape[0]:
        raise FrontendError(
            f"node {name!r} ({op}): weight expects {w_io.shape[0]} inputs, the input has {b.shape[0]}"
        )
    o = w_io.shape[1]
    if bias is not None:
        bias = np.broadcast_to(np.asarray(bias, np.float64).reshape(-1), (o,)).copy()
    b.emit(FDense(b.name(name), b.linear(w_io.T), bias))
    b.shape = (o,)


def _build_gemm(b: Builder, node) -> None:
    g = b.graph
    w = g.const(node.input[1]).astype(np.float64)
    w = (w.T if _attr(node, "transB", 0) else w) * float(_attr(node, "alpha", 1.0))
    bias = None
    if len(node.input) > 2 and node.input[2]:
        bias = g.const(node.input[2]).astype(np.float64) * float(_attr(node, "beta", 1.0))
    _dense(b, g.node_name(node), "Gemm", w, bias)


def _check_matmul(g: Graph, node, where: Where) -> str | None:
    if node.input[0] not in g.data_tensors:
        return "the input is not MatMul's first operand (x @ W with a constant W)"
    return _const_input(g, node, 1, "weight", 2)


def _build_matmul(b: Builder, node) -> None:
    g = b.graph
    _dense(b, g.node_name(node), "MatMul", g.const(node.input[1]).astype(np.float64), None)


# --- pooling, flatten, the tail -----------------------------------------------------------------


def _check_pool(g: Graph, node, where: Where) -> str | None:
    k = _ints(_attr(node, "kernel_shape"))
    s = _ints(_attr(node, "strides")) or [1] * len(k)
    if len(k) != 2 or k[0] != k[1] or s != k:
        return f"kernel {k} strides {s} (need k x k, stride k)"
    if any(_ints(_attr(node, "pads"))) or _attr(node, "auto_pad", "NOTSET") not in (
        "NOTSET",
        "VALID",
    ):
        return "padding (need none)"
    if _attr(node, "ceil_mode", 0):
        return "ceil_mode=1 (need floor mode)"
    if any(d != 1 for d in _ints(_attr(node, "dilations"))):
        return "dilations (need 1)"
    return None


def _check_maxpool(g: Graph, node, where: Where) -> str | None:
    why = _check_pool(g, node, where)
    if why is None and len(node.output) > 1 and node.output[1]:
        return "its indices output is used"
    if why is None and not where.replace_maxpool:
        return (
            "max pooling has no exact spiking equivalent; retrain with AvgPool2d, or replace "
            "it by average pooling with replace_maxpool=True (CLI: --replace-maxpool; accuracy "
            "may drop)"
        )
    return why


def _build_pool(b: Builder, node) -> None:
    name = b.graph.node_name(node)
    if len(b.shape) != 3:
        raise FrontendError(
            f"node {name!r} ({node.op_type}) needs a (C, H, W) input, got {b.shape}"
        )
    c, h, w = b.shape
    k = _ints(_attr(node, "kernel_shape"))[0]
    if h < k or w < k:
        raise FrontendError(f"node {name!r} ({node.op_type}): pool {k} is larger than {h}x{w}")
    b.emit(FPool(b.name(name), k))
    b.shape = (c, h // k, w // k)


def _build_gap(b: Builder, node) -> None:
    name = b.graph.node_name(node)
    if len(b.shape) != 3 or b.shape[1] != b.shape[2]:
        raise FrontendError(
            f"node {name!r} (GlobalAveragePool) needs a square (C, H, W) input, got {b.shape}"
        )
    if b.shape[1] > 1:
        b.emit(FPool(b.name(name), b.shape[1]))
    b.shape = (b.shape[0], 1, 1)


def _flatten(b: Builder, node) -> None:
    if len(b.shape) == 3:
        b.emit(FFlatten(b.name(b.graph.node_name(node))))
        b.shape = (int(np.prod(b.shape)),)


def _check_flatten(g: Graph, node, where: Where) -> str | None:
    axis = _attr(node, "axis", 1)
    return None if axis == 1 else f"axis={axis} (need 1: keep the batch axis)"


def _check_reshape(g: Graph, node, where: Where) -> str | None:
    if node.input[0] not in g.data_tensors:
        return "the input is not the reshaped tensor"
    if node.input[1] in g.shape_tensors:
        return None  # the target is checked against the inferred shape when built
    return _const_input(g, node, 1, "target shape", 1)


def _build_reshape(b: Builder, node) -> None:
    g = b.graph
    name = g.node_name(node)
    size = int(np.prod(b.shape))
    if node.input[1] in g.shape_tensors:
        target = g.inferred.get(node.output[0])
        if target is None:
            raise FrontendError(
                f"node {name!r} (Reshape): its target shape is computed from the input and "
                "shape inference gives no output shape"
            )
        target = [-1 if t is None else t for t in target]
    else:
        target = [int(t) for t in g.const(node.input[1])]
    rest = [b.shape[i] if t == 0 and i < len(b.shape) else t for i, t in enumerate(target[1:])]
    if len(rest) == 1 and rest[0] in (-1, size):
        _flatten(b, node)
        return
    if len(rest) == len(b.shape) and all(t in (-1, s) for t, s in zip(rest, b.shape, strict=True)):
        return  # the shape it already has
    raise FrontendError(
        f"node {name!r} (Reshape): target {target} from {b.shape} is not a flatten "
        "(need (N, C*H*W) or the same shape)"
    )


def _check_squeeze(g: Graph, node, where: Where) -> str | None:
    if len(node.input) > 1 and node.input[1]:
        return _const_input(g, node, 1, "axes", 1)
    return None


def _build_squeeze(b: Builder, node) -> None:
    g = b.graph
    name = g.node_name(node)
    axes = g.const(node.input[1]) if len(node.input) > 1 and node.input[1] else _attr(node, "axes")
    full = (1, *b.shape)
    axes = sorted(int(a) % len(full) for a in axes) if axes is not None else None
    if axes is None:
        axes = [i for i, s in enumerate(full) if s == 1 and i > 0]
    if len(b.shape) == 3 and b.shape[1:] == (1, 1) and axes == [2, 3]:
        _flatten(b, node)
        return
    raise FrontendError(
        f"node {name!r} (Squeeze): axes {axes} of {b.shape} (need the 1 x 1 spatial axes 2, 3)"
    )


def _check_tail(g: Graph, node, where: Where) -> str | None:
    return None if where.is_tail else f"{node.op_type} before the last layer"


def _ok(g: Graph, node, where: Where) -> str | None:
    return None


def _nothing(b: Builder, node) -> None:
    return None


HANDLERS: dict[str, Handler] = {
    "Conv": Handler(_check_conv, _build_conv),
    "Gemm": Handler(_check_gemm, _build_gemm),
    "MatMul": Handler(_check_matmul, _build_matmul),
    "AveragePool": Handler(_check_pool, _build_pool),
    "MaxPool": Handler(_check_maxpool, _build_pool),
    "GlobalAveragePool": Handler(_ok, _build_gap),
    "Flatten": Handler(_check_flatten, lambda b, n: _flatten(b, n)),
    "Reshape": Handler(_check_reshape, _build_reshape),
    "Squeeze": Handler(_check_squeeze, _build_squeeze),
    "Softmax": Handler(_check_tail, _nothing),
    "LogSoftmax": Handler(_check_tail, _nothing),
}
"""Structural op type -> handler. Element-wise op types (:data:`ELEMENTWISE`) are read as runs."""


# --- element-wise runs ----------------------------------------------------------------------------


def _scalar_or_channel(v: np.ndarray) -> tuple[float | None, np.ndarray | None, str | None]:
    """A constant operand: (scalar, None), (None, per-channel vector) or a reason."""
    v = np.asarray(v, dtype=np.float64)
    if v.size == 1:
        return float(v.reshape(-1)[0]), None, None
    big = [i for i, s in enumerate(v.shape) if s != 1]
    if len(big) == 1 and (v.ndim <= 2 or len(v.shape) - big[0] == 3):
        return None, v.reshape(-1), None
    return None, None, f"a constant of shape {tuple(v.shape)} (need a scalar or one per channel)"


def node_ops(g: Graph, node) -> tuple[list, str | None]:
    """The primitive ops of one element-wise node: ("affine", m, n), ("clip", lo, hi), ("floor",),
    ("chan", scale, bias) -- or a reason it has none."""
    op = node.op_type
    if op in ("Identity", "Dropout"):
        return [], None
    if op == "Relu":
        return [("clip", 0.0, INF)], None
    if op == "Floor":
        return [("floor",)], None
    if op == "Clip":
        lo, hi = _attr(node, "min", -INF), _attr(node, "max", INF)
        for k, what in ((1, "min"), (2, "max")):
            if len(node.input) > k and node.input[k]:
                v, why = g.try_const(node.input[k])
                if v is None:
                    return [], f"its {what} is not a constant"
                if k == 1:
                    lo = float(v.reshape(-1)[0])
                else:
                    hi = float(v.reshape(-1)[0])
        return [("clip", float(lo), float(hi))], None
    if op in ("Add", "Sub", "Mul", "Div"):
        k = 1 if node.input[0] in g.data_tensors else 0
        v, why = g.try_const(node.input[k])
        if v is None:
            return [], f"its other operand is not a constant ({why})"
        s, vec, why = _scalar_or_channel(v)
        if why:
            return [], why
        if op == "Div" and k == 0:
            return [], "divides a constant by the input"
        if op == "Sub" and k == 0:  # c - x
            if vec is not None:
                return [("chan", -np.ones_like(vec), vec)], None
            return [("affine", -1.0, s)], None
        if vec is not None:
            one, zero = np.ones_like(vec), np.zeros_like(vec)
            return [
                {
                    "Add": ("chan", one, vec),
                    "Sub": ("chan", one, -vec),
                    "Mul": ("chan", vec, zero),
                    "Div": ("chan", 1.0 / vec, zero),
                }[op]
            ], None
        if op in ("Mul", "Div") and s == 0:
            return [], f"{op} by 0"
        return [
            {
                "Add": ("affine", 1.0, s),
                "Sub": ("affine", 1.0, -s),
                "Mul": ("affine", s, 0.0),
                "Div": ("affine", 1.0 / s, 0.0),
            }[op]
        ], None
    if op == "BatchNormalization":
        if _attr(node, "training_mode", 0):
            return [], "training_mode=1"
        vals = []
        for k in range(1, 5):
            v, why = g.try_const(node.input[k])
            if v is None:
                return [], f"parameter {node.input[k]!r} is not a constant"
            vals.append(np.asarray(v, np.float64).reshape(-1))
        gamma, beta, mean, var = vals
        s = gamma / np.sqrt(var + float(_attr(node, "epsilon", 1e-5)))
        return [("chan", s, beta - mean * s)], None
    if op == "Quant":
        if node.domain and node.domain not in QONNX_DOMAINS:
            return [], f"domain {node.domain!r}"
        vals = []
        for k, what in ((1, "scale"), (2, "zero point"), (3, "bit width")):
            v, why = g.try_const(node.input[k]) if len(node.input) > k else (None, "missing")
            if v is None:
                return [], f"its {what} is not a constant"
            if np.asarray(v).size != 1:
                return [], f"a per-channel {what} on an activation (need one per tensor)"
            vals.append(float(np.asarray(v).reshape(-1)[0]))
        scale, zero, bits = vals
        if not scale > 0:
            return [], f"scale {scale:g}"
        mode = str(_attr(node, "rounding_mode", "ROUND")).upper()
        signed, narrow = bool(_attr(node, "signed", 1)), bool(_attr(node, "narrow", 0))
        lo, hi = quant_limits(signed, narrow, bits)
        if mode == "ROUND_TO_ZERO" and lo >= 0:
            mode = "FLOOR"  # trunc == floor where negative codes clip to 0 anyway
        if mode not in ("ROUND", "FLOOR"):
            return [], f"rounding_mode {mode!r} (need ROUND or FLOOR)"
        ops = [("affine", 1.0 / scale, zero)]
        if mode == "ROUND":
            ops.append(("affine", 1.0, 0.5))
        ops += [("floor",), ("clip", lo, hi), ("affine", scale, -zero * scale)]
        return ops, None
    return [], f"no handler for op type {op}"  # pragma: no cover -- only ELEMENTWISE comes here


@dataclass
class Run:
    """A run's meaning: the per-channel affine part folded into the layer before it (``fold``), and
    what the rest computes (``what``)."""

    fold: list
    rest: list
    what: Recognised | None
    act_nodes: list = field(default_factory=list)  # the nodes whose ops make ``rest``


def read_run(g: Graph, nodes: list) -> tuple[Run | None, dict[str, str]]:
    """The meaning of a run, or the reasons (by node name) it has none."""
    ops: list = []
    owner: list = []
    bad: dict[str, str] = {}
    for n in nodes:
        o, why = node_ops(g, n)
        if why:
            bad[g.node_name(n)] = why
        ops += o
        owner += [n] * len(o)
    if bad:
        return None, bad
    last_chan = max((i for i, o in enumerate(ops) if o[0] == "chan"), default=-1)
    fold, rest = ops[: last_chan + 1], ops[last_chan + 1 :]
    if any(o[0] not in ("affine", "chan") for o in fold):
        return None, {"": "a per-channel scale or offset after a nonlinearity"}
    what, why = recognise(rest)
    if why:
        return None, {"": why}
    act_nodes = []
    for n in owner[last_chan + 1 :]:
        if not act_nodes or act_nodes[-1] is not n:
            act_nodes.append(n)
    return Run(fold, rest, what, act_nodes), {}


def check_run(g: Graph, nodes: list, where: Where) -> dict[str, str]:
    """Reasons (by node name; "" for the run as a whole) the run cannot be converted here."""
    run, bad = read_run(g, nodes)
    if run is None:
        return bad
    what = run.what
    if where.at_input:
        if run.fold:
            return {"": "a per-channel scale or offset on the input (only one positive scale)"}
        if _input_scale(run, where) is None:
            return {
                "": "on the input it must multiply every pixel value by one positive number "
                "(it is evaluated on the pixels 0..255 times the input scale)"
            }
        return {}
    if run.fold and not where.after_linear:
        return {"": "a per-channel scale or offset that does not directly follow a Conv/Gemm"}
    if what.kind == "affine":
        if not where.after_linear and not (what.a == 1.0 and what.b == 0.0):
            return {"": f"an affine map {what.a:g} x + {what.b:g} between nonlinear layers"}
        return {}
    if not where.after_linear:
        return {"": "an activation that does not directly follow a Conv/Gemm/MatMul"}
    return {}


def _input_scale(run: Run, where: Where) -> float | None:
    """The one positive factor a run on the input multiplies every pixel value by, or None."""
    x = np.arange(1 << where.input_bits, dtype=np.float64) * where.input_scale
    y = evaluate(run.rest, x)
    r = y[-1] / x[-1]
    if r > 0 and np.allclose(y, r * x, rtol=1e-6, atol=1e-9 * abs(y[-1])):
        return float(r)
    return None


def _fold_into_last(b: Builder, scale, bias) -> None:
    prev = b.layers[-1]
    o = prev.weight.shape[0]
    scale = np.broadcast_to(np.asarray(scale, np.float64), (o,))
    bias = np.broadcast_to(np.asarray(bias, np.float64), (o,))
    new_bias = (np.zeros(o) if prev.bias is None else prev.bias) * scale + bias
    if isinstance(prev, FConv):
        layer = FConv(
            prev.name, prev.weight * scale[:, None, None, None], new_bias, prev.stride, prev.padding
        )
    else:
        layer = FDense(prev.name, prev.weight * scale[:, None], new_bias)
    b.layers[-1] = layer


def _run_name(g: Graph, nodes: list) -> str:
    """The activation's name: the module path its nodes share (``/act1/Div`` ... -> ``act1``), else
    the first nonlinear node's name."""
    names = [g.node_name(n) for n in nodes]
    parts = [n.split("/") for n in names]
    common = []
    for seg in zip(*parts, strict=False):
        if len(set(seg)) != 1:
            break
        common.append(seg[0])
    base = "/".join(common).strip("/")
    if base and len(nodes) > 1:
        return base
    core = [n for n in nodes if n.op_type in ("Floor", "Quant", "Clip", "Relu")]
    return g.node_name(core[0] if core else nodes[0])


def build_run(b: Builder, nodes: list, where: Where) -> None:
    g = b.graph
    run, _ = read_run(g, nodes)
    if where.at_input:
        inp = b.layers[0]
        b.layers[0] = FInput(inp.name, inp.shape, inp.scale * _input_scale(run, where), inp.bits)
        return
    if run.fold or (run.what.kind == "affine" and where.after_linear):
        o = b.layers[-1].weight.shape[0]
        scale, bias = np.ones(o), np.zeros(o)
        for op in run.fold + (run.rest if run.what.kind == "affine" else []):
            m, n = np.asarray(op[1], np.float64), np.asarray(op[2], np.float64)
            if m.size not in (1, o) or n.size not in (1, o):
                raise FrontendError(
                    f"node(s) {', '.join(repr(g.node_name(x)) for x in nodes)}: a per-channel "
                    f"constant of {max(m.size, n.size)} values after a layer of {o} channels"
                )
            scale, bias = scale * m, bias * m + n
        _fold_into_last(b, scale, bias)
    what = run.what
    if what.kind == "affine":
        return
    name = b.name(_run_name(g, run.act_nodes or nodes))
    if what.kind == "act":
        b.emit(FAct(name, what.levels, what.lam, what.shift))
        desc = {"levels": what.levels, "lam": what.lam, "shift": what.shift}
    elif what.kind == "relu":
        b.emit(FAct(name, b.relu_levels, 1.0, 0.5))
        b.pending.add(name)
        desc = {"relu": "plain"}
    else:
        b.emit(FAct(name, b.relu_levels, what.lam, 0.5))
        desc = {"relu": "clipped", "lam": what.lam}
    b.scale_next *= what.k
    if what.k != 1.0:
        desc["scale_to_next"] = what.k
    desc["nodes"] = [f"{g.node_name(n)} ({n.op_type})" for n in nodes]
    b.activations[name] = desc
