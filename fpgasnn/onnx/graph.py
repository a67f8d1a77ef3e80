"""The node graph of an ONNX model: its constants, the single chain of nodes the data flows through, and
every structural problem (merges, branches, several inputs/outputs) found on the way.

Tensors are classified from the one data input forward:

- *data* tensors carry the image's values: the graph input and every output of a node that reads a
  data tensor (``Shape`` excepted);
- *shape* tensors are computed from a data tensor's shape only (``Shape`` and what is computed from its
  output, e.g. the ``[N, -1]`` a ``x.view(x.size(0), -1)`` exports): they may only feed the shape input
  of a ``Reshape``;
- everything else is a *constant*: initializers, ``Constant`` nodes and what is computed from them
  (a Brevitas weight ``Quant``, a ``Transpose`` of a weight, ...), folded with NumPy on demand by
  :meth:`Graph.const`.

A model converts only as one chain: input -> node -> node -> ... -> output, each data tensor read by
exactly one node, each node reading exactly one data tensor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fpgasnn.errors import FrontendError

QONNX_DOMAINS = ("qonnx.custom_op.general", "finn.custom_op.general", "onnx.brevitas")


@dataclass(frozen=True)
class Problem:
    """Why one node (or the model, ``node`` = the graph's name) cannot be converted."""

    node: str
    op: str
    reason: str


def _attr(node, name: str, default=None):
    """The value of attribute ``name`` of an ONNX node (ints, floats, strings, lists), or ``default``."""
    import onnx

    for a in node.attribute:
        if a.name == name:
            v = onnx.helper.get_attribute_value(a)
            return v.decode() if isinstance(v, bytes) else v
    return default


def quant_limits(signed: bool, narrow: bool, bits: float) -> tuple[float, float]:
    """The integer range of a QONNX ``Quant`` node (its ``min_int`` / ``max_int``)."""
    if signed:
        hi = 2.0 ** (bits - 1) - 1
        return (-hi if narrow else -hi - 1), hi
    return 0.0, 2.0**bits - (2 if narrow else 1)


def _round(v: np.ndarray, mode: str) -> np.ndarray:
    if mode == "ROUND":
        return np.round(v)  # half to even, as QONNX's reference execution
    if mode == "FLOOR":
        return np.floor(v)
    if mode == "CEIL":
        return np.ceil(v)
    if mode == "ROUND_TO_ZERO":
        return np.trunc(v)
    raise FrontendError(f"Quant rounding_mode {mode!r} (known: ROUND, FLOOR, CEIL, ROUND_TO_ZERO)")


def quant(x, scale, zero, bits, signed: bool, narrow: bool, mode: str) -> np.ndarray:
    """QONNX ``Quant``: ``(clip(round(x / scale + zero), min_int, max_int) - zero) * scale``."""
    lo, hi = quant_limits(signed, narrow, float(np.asarray(bits).reshape(-1)[0]))
    q = np.clip(_round(np.asarray(x, np.float64) / scale + zero, mode), lo, hi)
    return (q - zero) * scale


def _fold(node, ins: list) -> list[np.ndarray]:
    """The outputs of ``node`` computed with NumPy from constant inputs ``ins`` (None: absent input)."""
    op = node.op_type
    x = ins[0] if ins else None
    if op == "Identity":
        return [x]
    if op == "Cast":
        import onnx

        return [x.astype(onnx.helper.tensor_dtype_to_np_dtype(_attr(node, "to")))]
    if op in ("Add", "Sub", "Mul", "Div"):
        f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op]
        if op == "Div" and x.dtype.kind in "iu":
            return [x // ins[1]]
        return [f(x, ins[1])]
    if op == "Neg":
        return [-x]
    if op == "Sqrt":
        return [np.sqrt(x)]
    if op == "Reshape":
        shape = [int(s) for s in ins[1]]
        shape = [
            x.shape[i] if s == 0 and not _attr(node, "allowzero", 0) else s
            for i, s in enumerate(shape)
        ]
        return [x.reshape(shape)]
    if op == "Transpose":
        return [np.transpose(x, _attr(node, "perm"))]
    if op == "Unsqueeze":
        axes = _attr(node, "axes") if len(ins) < 2 or ins[1] is None else ins[1]
        out = x
        for a in sorted(int(a) % (x.ndim + len(axes)) for a in axes):
            out = np.expand_dims(out, a)
        return [out]
    if op == "Squeeze":
        axes = _attr(node, "axes") if len(ins) < 2 or ins[1] is None else ins[1]
        return [np.squeeze(x) if axes is None else np.squeeze(x, tuple(int(a) for a in axes))]
    if op == "Concat":
        return [np.concatenate([i for i in ins if i is not None], axis=_attr(node, "axis"))]
    if op == "Gather":
        return [np.take(x, ins[1], axis=_attr(node, "axis", 0))]
    if op == "Shape":
        return [np.asarray(x.shape, dtype=np.int64)]
    if op == "Quant":
        signed, narrow = bool(_attr(node, "signed", 1)), bool(_attr(node, "narrow", 0))
        mode = str(_attr(node, "rounding_mode", "ROUND")).upper()
        return [quant(x, ins[1], ins[2], ins[3], signed, narrow, mode)]
    raise FrontendError(f"no constant folding for op {op}")


FOLDABLE = frozenset(
    [
        "Identity",
        "Cast",
        "Add",
        "Sub",
        "Mul",
        "Div",
        "Neg",
        "Sqrt",
        "Reshape",
        "Transpose",
        "Unsqueeze",
        "Squeeze",
        "Concat",
        "Gather",
        "Shape",
        "Quant",
        "Constant",
    ]
)


@dataclass
class Graph:
    """An ONNX model's graph: the data chain (node protos in data order), its input, structural
    problems, and on-demand constants."""

    model: object
    name: str
    input_name: str
    input_dims: tuple
    output_name: str
    chain: list = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    is_chain: bool = False
    data_nodes: list = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)
    producer: dict[str, object] = field(default_factory=dict)
    initial: dict[str, np.ndarray] = field(default_factory=dict)
    shape_tensors: set[str] = field(default_factory=set)
    data_tensors: set[str] = field(default_factory=set)
    _cache: dict[str, np.ndarray] = field(default_factory=dict)
    _inferred: dict[str, tuple] | None = None

    @property
    def inferred(self) -> dict[str, tuple]:
        """Tensor name -> dims (None where unknown) by ONNX shape inference (computed once)."""
        if self._inferred is None:
            import onnx

            try:
                m = onnx.shape_inference.infer_shapes(self.model)
                vis = [*m.graph.value_info, *m.graph.output]
            except Exception:  # noqa: BLE001 -- inference is best effort; Reshape then says so
                vis = []
            self._inferred = {v.name: _dims(v) for v in vis if _dims(v)}
        return self._inferred

    def node_name(self, node) -> str:
        return self.names[id(node)]

    def is_const(self, tensor: str) -> bool:
        return tensor not in self.data_tensors and tensor not in self.shape_tensors

    def const(self, tensor: str) -> np.ndarray:
        """The value of a constant tensor (FrontendError if it is not one or cannot be folded)."""
        if tensor in self._cache:
            return self._cache[tensor]
        if tensor in self.initial:
            return self.initial[tensor]
        if not self.is_const(tensor):
            raise FrontendError(f"tensor {tensor!r} is computed from the input, not a constant")
        node = self.producer.get(tensor)
        if node is None:
            raise FrontendError(f"tensor {tensor!r} has no value (no initializer or node makes it)")
        if node.op_type == "Constant":
            from onnx import numpy_helper

            a = node.attribute[0]
            if a.name == "value":
                value = numpy_helper.to_array(a.t)
            elif a.name in ("value_float", "value_int"):
                value = np.asarray(a.f if a.name == "value_float" else a.i)
            elif a.name in ("value_floats", "value_ints"):
                value = np.asarray(list(a.floats) if a.name == "value_floats" else list(a.ints))
            else:
                raise FrontendError(f"Constant node with attribute {a.name!r}")
            outs = [value]
        else:
            if node.op_type not in FOLDABLE:
                raise FrontendError(
                    f"tensor {tensor!r} is made by {node.op_type} node "
                    f"{self.node_name(node)!r}, which is not folded to a constant here"
                )
            ins = [self.const(i) if i else None for i in node.input]
            outs = _fold(node, ins)
        for name, v in zip(node.output, outs, strict=False):
            self._cache[name] = np.asarray(v)
        return self._cache[tensor]

    def try_const(self, tensor: str) -> tuple[np.ndarray | None, str | None]:
        """(value, None) for a constant, (None, why) otherwise."""
        try:
            return self.const(tensor), None
        except FrontendError as e:
            return None, str(e)
        except (ValueError, TypeError, IndexError) as e:
            return None, f"tensor {tensor!r} cannot be folded ({type(e).__name__}: {e})"

    def data_input(self, node) -> str:
        """The one data tensor ``node`` reads."""
        return next(i for i in node.input if i in self.data_tensors)


def _unique_names(nodes) -> dict[int, str]:
    """A unique, non-empty name per node: its own, else ``<op>_<index>``; repeats get ``_2``, ..."""
    out: dict[int, str] = {}
    taken: set[str] = set()
    for i, n in enumerate(nodes):
        base = n.name or f"{n.op_type}_{i}"
        name, k = base, 2
        while name in taken:
            name = f"{base}_{k}"
            k += 1
        taken.add(name)
        out[id(n)] = name
    return out


def load(path: str | Path):
    """Read an ``.onnx`` file (FrontendError if there is none or it is not an ONNX model)."""
    import onnx

    p = Path(path)
    if not p.exists():
        raise FrontendError(f"model file {str(p)!r} does not exist")
    try:
        model = onnx.load(str(p))
    except Exception as e:  # noqa: BLE001 -- protobuf DecodeError, OSError, ...: not a model
        text = str(e).splitlines()[0] if str(e) else ""
        raise FrontendError(
            f"{str(p)!r} is not a readable ONNX model file: {type(e).__name__}: {text}"
        ) from None
    if not model.graph.node:
        raise FrontendError(f"{str(p)!r} is not a readable ONNX model file: its graph has no nodes")
    return model


def _dims(value_info) -> tuple:
    t = value_info.type.tensor_type
    if not t.HasField("shape"):
        return ()
    return tuple(d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim)


def read_graph(model) -> Graph:
    """The data chain of ``model`` and its structural problems (none when it is a clean chain)."""
    from onnx import numpy_helper

    g = model.graph
    gname = g.name or "graph"
    nodes = list(g.node)
    initial = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    inputs = [v for v in g.input if v.name not in initial]
    graph = Graph(
        model,
        gname,
        inputs[0].name if inputs else "",
        _dims(inputs[0]) if inputs else (),
        g.output[0].name if g.output else "",
        names=_unique_names(nodes),
        initial=initial,
    )
    if len(inputs) != 1 or len(g.output) != 1:
        graph.problems.append(
            Problem(
                gname,
                "graph",
                f"{len(inputs)} inputs and {len(g.output)} outputs; expected exactly one of each",
            )
        )
        if not inputs:
            return graph
    for n in nodes:
        for o in n.output:
            graph.producer[o] = n
    data = {graph.input_name}
    shape: set[str] = set()
    data_nodes = []
    for n in nodes:  # ONNX nodes are in topological order
        if n.op_type == "Shape" and any(i in data for i in n.input):
            shape.update(n.output)
        elif any(i in data for i in n.input):
            data.update(o for o in n.output if o)
            data_nodes.append(n)
        elif any(i in shape for i in n.input):
            shape.update(n.output)
    graph.data_tensors, graph.shape_tensors, graph.data_nodes = data, shape, data_nodes
    consumers: dict[str, list] = {}
    read = {i for m in nodes for i in m.input} | {o.name for o in g.output}
    for n in data_nodes:
        ins = [i for i in n.input if i in data]
        if len(set(ins)) > 1:
            what = ", ".join(repr(i) for i in ins)
            graph.problems.append(
                Problem(graph.node_name(n), n.op_type, f"merges {len(ins)} inputs ({what})")
            )
        if any(o in read for o in n.output[1:] if o):
            graph.problems.append(
                Problem(graph.node_name(n), n.op_type, "more than one of its outputs is used")
            )
        for i in set(ins):
            consumers.setdefault(i, []).append(n)
    for n in data_nodes:
        bad = [
            i
            for k, i in enumerate(n.input)
            if i in shape and not (n.op_type == "Reshape" and k == 1)
        ]
        if bad:
            graph.problems.append(
                Problem(
                    graph.node_name(n),
                    n.op_type,
                    f"input {bad[0]!r} is computed from the input's shape; only a Reshape's "
                    "target shape may be",
                )
            )
    for t, users in consumers.items():
        if len(users) > 1:
            who = ", ".join(repr(graph.node_name(u)) for u in users)
            src = graph.producer.get(t)
            graph.problems.append(
                Problem(
                    graph.node_name(src) if src is not None else t,
                    src.op_type if src is not None else "input",
                    f"its output feeds {len(users)} nodes ({who})",
                )
            )
    if graph.output_name not in data:
        graph.problems.append(
            Problem(gname, "graph", f"output {graph.output_name!r} does not depend on the input")
        )
    if graph.problems:
        return graph
    chain = []
    t = graph.input_name
    while t != graph.output_name:
        users = consumers.get(t, [])
        if len(users) != 1:
            graph.problems.append(
                Problem(gname, "graph", f"tensor {t!r} leads nowhere (does not reach the output)")
            )
            return graph
        n = users[0]
        chain.append(n)
        t = n.output[0]
    in_chain = {id(n) for n in chain}
    unused = [n for n in data_nodes if id(n) not in in_chain]
    for n in unused:
        graph.problems.append(
            Problem(graph.node_name(n), n.op_type, "its result never reaches the graph's output")
        )
    graph.chain = chain
    graph.is_chain = not graph.problems
    return graph
