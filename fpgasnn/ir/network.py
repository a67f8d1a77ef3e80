"""The network: an ordered chain of IR nodes plus its run schedule, with shape inference and a verifier.

Legal order (checked by :func:`verify`)::

    Input  (AvgPool2D | Flatten)*  Synapse  Neuron  (AvgPool2D | Flatten)*  Synapse  Neuron ... Synapse  Output

where Synapse is Conv2D or Dense. :meth:`Network.stages` groups the chain into hardware layers:
the transforms before a synapse, the synapse, and the Neuron or Output after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from fpgasnn.errors import IRError
from fpgasnn.ir.nodes import (
    OP_NAMES,
    SYNAPSE_TYPES,
    TRANSFORM_TYPES,
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    Input,
    Neuron,
    Node,
    Output,
    Schedule,
)


@dataclass(frozen=True)
class Stage:
    """One hardware layer: transforms on the incoming spikes, the synaptic op, and its Neuron/Output."""

    index: int
    transforms: tuple[AvgPool2D | Flatten, ...]
    synapse: Conv2D | Dense
    activation: Neuron | Output
    in_shape: tuple[int, ...]
    """Shape of the tensor entering the transforms (spikes of the previous stage, or the image)."""
    syn_in_shape: tuple[int, ...]
    """Shape entering the synapse (after the transforms)."""
    out_shape: tuple[int, ...]

    @property
    def is_first(self) -> bool:
        return self.index == 0

    @property
    def is_output(self) -> bool:
        return isinstance(self.activation, Output)


@dataclass(frozen=True, eq=False)
class Network:
    """An integer spiking network: nodes in order, the schedule of one inference, free-form metadata."""

    nodes: tuple[Node, ...]
    schedule: Schedule
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", tuple(self.nodes))
        verify(self)

    @property
    def input(self) -> Input:
        return self.nodes[0]  # type: ignore[return-value]

    @property
    def output(self) -> Output:
        return self.nodes[-1]  # type: ignore[return-value]

    @property
    def num_classes(self) -> int:
        return int(self.shapes()[-1][0])

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise IRError(f"no layer named {name!r}; layers are {[n.name for n in self.nodes]}")

    def shapes(self) -> list[tuple[int, ...]]:
        """Output shape (without batch) of every node, in order."""
        return infer_shapes(self.nodes)

    def neurons(self) -> list[Neuron]:
        return [n for n in self.nodes if isinstance(n, Neuron)]

    def stages(self) -> list[Stage]:
        shapes = self.shapes()
        stages: list[Stage] = []
        pending: list[AvgPool2D | Flatten] = []
        in_shape = shapes[0]
        start_shape = shapes[0]
        for i, n in enumerate(self.nodes[1:], start=1):
            if isinstance(n, TRANSFORM_TYPES):
                pending.append(n)
                in_shape = shapes[i]
            elif isinstance(n, SYNAPSE_TYPES):
                syn, syn_in = n, in_shape
            else:
                stages.append(
                    Stage(len(stages), tuple(pending), syn, n, start_shape, syn_in, shapes[i])
                )
                pending = []
                in_shape = start_shape = shapes[i]
        return stages

    def with_node(self, new: Node) -> Network:
        """A copy with the node of the same name replaced by ``new``."""
        names = [n.name for n in self.nodes]
        if new.name not in names:
            raise IRError(f"no layer named {new.name!r}; layers are {names}")
        nodes = tuple(new if n.name == new.name else n for n in self.nodes)
        return Network(nodes, self.schedule, dict(self.meta))

    def with_schedule(self, schedule: Schedule) -> Network:
        return Network(self.nodes, schedule, dict(self.meta))

    def with_meta(self, **meta: Any) -> Network:
        return Network(self.nodes, self.schedule, {**self.meta, **meta})

    def param_count(self, node: Node) -> int:
        if isinstance(node, SYNAPSE_TYPES):
            return int(node.weight.size + (0 if node.bias is None else node.bias.size))
        if isinstance(node, Neuron) and node.per_neuron_v0:
            return int(node.v0.size)
        return 0


def _out_shape(node: Node, shape: tuple[int, ...]) -> tuple[int, ...]:
    where = f"layer {node.name!r} ({OP_NAMES[type(node)]})"
    if isinstance(node, Conv2D):
        if len(shape) != 3:
            raise IRError(
                f"{where}: expects a (C, H, W) input, got shape {shape}; is a Flatten misplaced?"
            )
        c, h, w = shape
        if node.weight.shape[1] != c:
            raise IRError(
                f"{where}: weight expects {node.weight.shape[1]} input channels, the input has {c}"
            )
        kh, kw = node.kernel
        pt, pb, pl, pr = node.padding
        ho = (h + pt + pb - kh) // node.stride + 1
        wo = (w + pl + pr - kw) // node.stride + 1
        if ho < 1 or wo < 1:
            raise IRError(f"{where}: kernel {kh}x{kw} does not fit the padded input {shape}")
        return (node.out_channels, ho, wo)
    if isinstance(node, Dense):
        if len(shape) != 1:
            raise IRError(
                f"{where}: expects a flat (F,) input, got shape {shape}; add a Flatten before it"
            )
        if node.weight.shape[1] != shape[0]:
            raise IRError(
                f"{where}: weight expects {node.weight.shape[1]} inputs, the input has {shape[0]}"
            )
        return (node.out_channels,)
    if isinstance(node, AvgPool2D):
        if len(shape) != 3:
            raise IRError(f"{where}: expects a (C, H, W) input, got shape {shape}")
        c, h, w = shape
        if h < node.pool or w < node.pool:
            raise IRError(f"{where}: pool {node.pool} is larger than the input {h}x{w}")
        return (c, h // node.pool, w // node.pool)
    if isinstance(node, Flatten):
        return (int(np.prod(shape)),)
    return shape


def infer_shapes(nodes: tuple[Node, ...] | list[Node]) -> list[tuple[int, ...]]:
    if not nodes or not isinstance(nodes[0], Input):
        raise IRError("a network must start with an Input layer")
    shapes = [nodes[0].shape]
    for n in nodes[1:]:
        shapes.append(_out_shape(n, shapes[-1]))
    return shapes


def verify(net: Network) -> None:
    """Raise IRError naming the first offending layer if ``net`` is malformed."""
    nodes = net.nodes
    if not isinstance(net.schedule, Schedule):
        raise IRError(f"network schedule must be a Schedule, got {type(net.schedule).__name__}")
    if not nodes or not isinstance(nodes[0], Input):
        raise IRError("a network must start with an Input layer")
    names = [n.name for n in nodes]
    dup = sorted({x for x in names if names.count(x) > 1})
    if dup:
        raise IRError(f"layer names must be unique; repeated: {dup}")
    for n in nodes:
        if type(n) not in OP_NAMES:
            raise IRError(f"layer {getattr(n, 'name', n)!r}: unknown node type {type(n).__name__}")
    if not isinstance(nodes[-1], Output):
        raise IRError(
            f"the last layer must be an Output accumulator, got {OP_NAMES[type(nodes[-1])]} "
            f"{nodes[-1].name!r}"
        )
    prev: Node = nodes[0]
    for n in nodes[1:]:
        kind = OP_NAMES[type(n)]
        if isinstance(n, Input):
            raise IRError(f"layer {n.name!r}: Input may only be the first layer")
        if isinstance(n, (Neuron, Output)) and not isinstance(prev, SYNAPSE_TYPES):
            raise IRError(
                f"layer {n.name!r} ({kind}) must follow a Conv2D or Dense layer, "
                f"it follows {OP_NAMES[type(prev)]} {prev.name!r}"
            )
        if isinstance(n, (SYNAPSE_TYPES + TRANSFORM_TYPES)) and isinstance(prev, SYNAPSE_TYPES):
            raise IRError(
                f"layer {n.name!r} ({kind}) follows {OP_NAMES[type(prev)]} {prev.name!r} directly; "
                "a Conv2D/Dense must be followed by a Neuron or the Output"
            )
        if isinstance(n, Output) and n is not nodes[-1]:
            raise IRError(f"layer {n.name!r}: Output may only be the last layer")
        prev = n
    shapes = infer_shapes(nodes)
    for n, shape in zip(nodes, shapes, strict=False):
        if isinstance(n, Neuron) and n.per_neuron_v0 and n.v0.shape != shape:
            raise IRError(
                f"layer {n.name!r}: per-neuron initial membrane must have the layer's shape {shape}, "
                f"got {n.v0.shape}"
            )


def networks_equal(a: Network, b: Network) -> bool:
    """True when both networks have the same nodes, parameters, schedule and metadata."""
    if a.schedule != b.schedule or a.meta != b.meta or len(a.nodes) != len(b.nodes):
        return False
    for x, y in zip(a.nodes, b.nodes, strict=False):
        if type(x) is not type(y):
            return False
        for f in x.__dataclass_fields__:
            u, v = getattr(x, f), getattr(y, f)
            if isinstance(u, np.ndarray) or isinstance(v, np.ndarray):
                if not (isinstance(u, np.ndarray) and isinstance(v, np.ndarray)):
                    return False
                if u.shape != v.shape or not np.array_equal(u, v):
                    return False
            elif u != v:
                return False
    return True


__all__ = ["Network", "Stage", "infer_shapes", "networks_equal", "replace", "verify"]
