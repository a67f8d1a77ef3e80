"""Front end: an ONNX model (PyTorch through ``torch.onnx``; Brevitas through QONNX) -> FloatNet.

:func:`from_onnx` reads the graph (:mod:`fpgasnn.onnx.graph`), checks EVERY node with its handler
(:mod:`fpgasnn.onnx.handlers`, which lists what maps to what) and raises one
:class:`UnsupportedLayerError` naming every unsupported node (name, op type, reason) and every
structural problem before anything is built; then builds the FloatNet and sets the thresholds of plain
ReLUs from calibration images, exactly as the Keras front end does
(:func:`fpgasnn.convert.relu_calibration.calibrate_relus`, NumPy only).

Input encoding: the ONNX model sees ``pixels * input_scale`` (NCHW float32, or (N, F)), where
``pixels`` are the integer inputs of the SNN (uint8 0..255 by default: ``input_scale = 1/255`` for a
model trained on ``x / 255``, e.g. torchvision's ``ToTensor()``). A model that divides by 255 itself
takes ``input_scale = 1``.

:func:`onnx_logits` runs the model with onnxruntime (QONNX ``Quant`` nodes rewritten into standard ops
first) -- the model as its framework computes it. No TensorFlow is imported here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fpgasnn.convert.floatnet import FAct, FInput, FloatNet
from fpgasnn.convert.relu_calibration import as_model_input, calibrate_pending, check_relu_options
from fpgasnn.errors import FrontendError, UnsupportedLayerError

INPUT_SCALE = 1.0 / 255.0


@dataclass(eq=False)
class OnnxModel:
    """An ONNX model read from a file (or given as a ModelProto): its proto, where it came from, its
    input shape in FloatNet layout ((C, H, W) or (F,)) and fixed batch size (None: any)."""

    proto: Any
    source: str
    name: str
    input_name: str
    input_shape: tuple[int, ...]
    batch: int | None
    _session: Any = field(default=None, repr=False)


def is_onnx_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".onnx"


def load_onnx(model) -> OnnxModel:
    """An :class:`OnnxModel` from a path, a ``ModelProto`` or an OnnxModel (returned as it is)."""
    from fpgasnn.onnx.graph import _dims, load

    if isinstance(model, OnnxModel):
        return model
    if isinstance(model, (str, Path)):
        source, proto = str(model), load(model)
    else:
        source, proto = "<in-memory ONNX model>", model
    g = proto.graph
    init = {t.name for t in g.initializer}
    inputs = [v for v in g.input if v.name not in init]
    name = g.name or Path(source).stem
    if len(inputs) != 1:
        raise FrontendError(
            f"ONNX model {name!r} has {len(inputs)} inputs ({', '.join(repr(i.name) for i in inputs)}); "
            "expected one image or vector input"
        )
    dims = _dims(inputs[0])
    if len(dims) not in (2, 4) or any(d is None or d <= 0 for d in dims[1:]):
        raise FrontendError(
            f"ONNX model {name!r}: input {inputs[0].name!r} has shape {dims}; expected (N, C, H, W) "
            "or (N, F) with known C, H, W / F (export with a fixed image size)"
        )
    batch = dims[0] if isinstance(dims[0], int) and dims[0] > 0 else None
    return OnnxModel(proto, source, name, inputs[0].name, tuple(int(d) for d in dims[1:]), batch)


def _items(chain: list) -> list[tuple[str, list]]:
    """The chain cut into ("node", [n]) and ("run", [n, ...]) of element-wise nodes."""
    from fpgasnn.onnx.graph import QONNX_DOMAINS
    from fpgasnn.onnx.handlers import ELEMENTWISE

    domains = {"", "ai.onnx", *QONNX_DOMAINS}
    items: list[tuple[str, list]] = []
    for n in chain:
        if n.op_type in ELEMENTWISE and n.domain in domains:
            if items and items[-1][0] == "run":
                items[-1][1].append(n)
            else:
                items.append(("run", [n]))
        else:
            items.append(("node", [n]))
    return items


def _wheres(items, replace_maxpool: bool, input_scale: float) -> list:
    from fpgasnn.onnx.handlers import LINEAR, TAIL, Where

    out = []
    for i in range(len(items)):
        prev = items[i - 1][1][-1].op_type if i else None
        tail = all(n.op_type in TAIL for _, ns in items[i + 1 :] for n in ns)
        out.append(
            Where(
                after_linear=prev in LINEAR,
                at_input=i == 0,
                is_tail=tail,
                replace_maxpool=replace_maxpool,
                input_scale=float(input_scale),
            )
        )
    return out


def _check(graph, items, wheres) -> None:
    """Raise ONE UnsupportedLayerError for every structural problem and unsupported node."""
    from fpgasnn.onnx.handlers import ELEMENTWISE, HANDLERS, check_run

    found: dict[str, tuple[str, list[str]]] = {}  # entry -> (op types, reasons), in graph order
    for p in graph.problems:
        found.setdefault(repr(p.node), (p.op, []))[1].append(p.reason)
    nodes = graph.chain if graph.is_chain else graph.data_nodes
    if not graph.is_chain:  # no chain to cut into runs: check each node alone
        items = [("node", [n]) for n in nodes if n.op_type not in ELEMENTWISE]
        wheres = _wheres(items, True, 1.0)
    for (kind, ns), where in zip(items, wheres, strict=True):
        if kind == "run":
            for name, why in check_run(graph, ns, where).items():
                if name:
                    op = next(n.op_type for n in ns if graph.node_name(n) == name)
                    found.setdefault(repr(name), (op, []))[1].append(why)
                else:
                    key = " + ".join(repr(graph.node_name(n)) for n in ns)
                    ops = ", ".join(n.op_type for n in ns)
                    found.setdefault(key, (ops, []))[1].append(why)
            continue
        n = ns[0]
        h = HANDLERS.get(n.op_type)
        if h is None or (n.domain not in ("", "ai.onnx")):
            dom = f" (domain {n.domain!r})" if n.domain not in ("", "ai.onnx") else ""
            why = f"no handler for op type {n.op_type}{dom}"
        else:
            why = h.check(graph, n, where)
        if why is not None:
            found.setdefault(repr(graph.node_name(n)), (n.op_type, []))[1].append(why)
    if found:
        lines = "\n".join(f"  {k} ({found[k][0]}): {'; '.join(found[k][1])}" for k in found)
        chain = " (a model converts only as one chain of nodes)" if graph.problems else ""
        raise UnsupportedLayerError(
            f"ONNX model {graph.name!r} cannot be converted, {len(found)} "
            f"node(s) with problems{chain}:\n{lines}"
        )


def from_onnx(
    model,
    *,
    calib_images: np.ndarray | Callable[[], np.ndarray] | None = None,
    replace_maxpool: bool = False,
    input_scale: float = INPUT_SCALE,
    relu_levels: int = 4,
    relu_percentile: float | str = 99.9,
    calib_source: str = "",
) -> FloatNet:
    """Read an ONNX model (a path, a ``ModelProto`` or an :class:`OnnxModel`) into a FloatNet.

    Same options and metadata as :func:`fpgasnn.keras.frontend.from_keras`; ``meta["activations"]``
    also says what each activation was read as (levels, lambda, shift; plain or clipped ReLU) and from
    which nodes. Raises UnsupportedLayerError (every unsupported node and structural problem at once)
    or FrontendError.
    """
    from fpgasnn.onnx.graph import read_graph
    from fpgasnn.onnx.handlers import HANDLERS, Builder, build_run

    check_relu_options(relu_levels, relu_percentile)
    om = load_onnx(model)
    graph = read_graph(om.proto)
    items = _items(graph.chain) if graph.is_chain else []
    wheres = _wheres(items, replace_maxpool, input_scale)
    _check(graph, items, wheres)
    b = Builder(graph, relu_levels=int(relu_levels), shape=om.input_shape)
    in_name = b.name(om.input_name)
    b.emit(FInput(in_name, om.input_shape, scale=float(input_scale), bits=8))
    for (kind, ns), where in zip(items, wheres, strict=True):
        if kind == "run":
            build_run(b, ns, where)
        else:
            HANDLERS[ns[0].op_type].build(b, ns[0])
    if isinstance(b.layers[-1], FAct) or len(b.layers) < 2 or b.scale_next != 1.0:
        raise FrontendError(
            f"ONNX model {om.name!r} must end with a Conv/Gemm/MatMul producing the logits; its "
            f"last node is {graph.node_name(graph.chain[-1])!r} ({graph.chain[-1].op_type})"
        )
    layers, lams, chosen, n_calib = calibrate_pending(
        b.layers,
        b.pending,
        calib_images,
        om.input_shape,
        relu_percentile,
        f"ONNX model {om.name!r}",
    )
    for name, lam in lams.items():
        b.activations[name]["lam"] = lam
    meta: dict[str, Any] = {
        "source": om.source,
        "source_model_name": om.name,
        "frontend": "onnx",
        "input_scale": float(input_scale),
        "replace_maxpool": bool(replace_maxpool),
        "relu_levels": int(relu_levels),
        "relu_percentile": relu_percentile if relu_percentile == "auto" else float(relu_percentile),
        "relu_percentiles": chosen,
        "relu_thresholds": lams,
        "relu_calibration_images": n_calib,
        "relu_calibration_source": calib_source if lams else "",
        "activations": b.activations,
    }
    return FloatNet(layers, meta=meta)


# --- running the model with onnxruntime -------------------------------------------------------------


def lower_quant(proto):
    """A copy of ``proto`` with every QONNX ``Quant`` node rewritten into standard ONNX ops (Div, Add,
    Round / Floor / Ceil, Clip, Sub, Mul) that onnxruntime runs; the same values."""
    import onnx
    from onnx import helper, numpy_helper

    from fpgasnn.onnx.graph import QONNX_DOMAINS, Graph, _attr, quant_limits, read_graph

    m = onnx.ModelProto()
    m.CopyFrom(proto)
    g = m.graph
    if not any(n.op_type == "Quant" for n in g.node):
        return m
    graph: Graph = read_graph(proto)
    new_nodes, inits = [], []
    for k, n in enumerate(g.node):
        if n.op_type != "Quant" or n.domain not in QONNX_DOMAINS:
            new_nodes.append(n)
            continue
        bits = float(np.asarray(graph.const(n.input[3])).reshape(-1)[0])
        signed, narrow = bool(_attr(n, "signed", 1)), bool(_attr(n, "narrow", 0))
        lo, hi = quant_limits(signed, narrow, bits)
        mode = str(_attr(n, "rounding_mode", "ROUND")).upper()
        p = f"_fpgasnn_quant{k}_"
        inits += [
            numpy_helper.from_array(np.asarray(lo, np.float32), p + "lo"),
            numpy_helper.from_array(np.asarray(hi, np.float32), p + "hi"),
        ]
        x, s, z = n.input[0], n.input[1], n.input[2]
        chain = [
            helper.make_node("Div", [x, s], [p + "d"]),
            helper.make_node("Add", [p + "d", z], [p + "a"]),
        ]
        if mode == "ROUND_TO_ZERO":
            chain += [
                helper.make_node("Abs", [p + "a"], [p + "abs"]),
                helper.make_node("Floor", [p + "abs"], [p + "fl"]),
                helper.make_node("Sign", [p + "a"], [p + "sg"]),
                helper.make_node("Mul", [p + "fl", p + "sg"], [p + "r"]),
            ]
        else:
            op = {"ROUND": "Round", "FLOOR": "Floor", "CEIL": "Ceil"}[mode]
            chain.append(helper.make_node(op, [p + "a"], [p + "r"]))
        chain += [
            helper.make_node("Clip", [p + "r", p + "lo", p + "hi"], [p + "c"]),
            helper.make_node("Sub", [p + "c", z], [p + "s"]),
            helper.make_node("Mul", [p + "s", s], [n.output[0]]),
        ]
        new_nodes += chain
    del g.node[:]
    g.node.extend(new_nodes)
    g.initializer.extend(inits)
    keep = [o for o in m.opset_import if o.domain not in QONNX_DOMAINS]
    del m.opset_import[:]
    m.opset_import.extend(keep)
    return m


def _session(om: OnnxModel):
    if om._session is None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        om._session = ort.InferenceSession(
            lower_quant(om.proto).SerializeToString(), opts, providers=["CPUExecutionProvider"]
        )
    return om._session


def onnx_logits(
    model, images: np.ndarray, *, input_scale: float = INPUT_SCALE, batch_size: int = 500
) -> np.ndarray:
    """The model's outputs (N, classes) by onnxruntime for integer inputs (N, C, H, W) / (N, F) (or
    images the data layer accepts), each fed as ``pixels * input_scale`` in float32."""

    om = load_onnx(model)
    x = as_model_input(images, om.input_shape).astype(np.float32) * np.float32(input_scale)
    sess = _session(om)
    step = om.batch or batch_size
    outs = []
    for i in range(0, len(x), step):
        chunk = x[i : i + step]
        n = len(chunk)
        if om.batch and n < om.batch:  # a model exported with a fixed batch: pad the last chunk
            chunk = np.concatenate([chunk, np.zeros((om.batch - n, *chunk.shape[1:]), chunk.dtype)])
        y = np.asarray(sess.run(None, {om.input_name: chunk})[0], dtype=np.float64)
        outs.append(y.reshape(len(chunk), -1)[:n])
    if not outs:
        return np.zeros((0, 0))
    return np.concatenate(outs)
