"""The layer graph of a tf_keras / QKeras or Keras 3 model: the single chain a SNN can be built from,
and every structural problem (nested models, merges, branches, shared layers, several inputs/outputs)
found on the way, each tied to the layer it concerns.

A model converts only as one chain: input -> layer -> layer -> ... -> output, each layer used once.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpgasnn.keras.tf_env import is_keras3, keras3, tf_keras


@dataclass(frozen=True)
class Problem:
    """Why one layer (or the model itself, ``layer`` = the model's name) cannot be converted."""

    layer: str
    cls: str
    reason: str


@dataclass(frozen=True)
class Graph:
    """The model's input layer (None if the framework hides it), its other layers in chain order when
    the model is a chain (else in the model's own order), and the structural problems found."""

    input_layer: object | None
    layers: tuple
    problems: tuple[Problem, ...]
    is_chain: bool


def framework(model):
    """The Keras module ``model`` belongs to: Keras 3 ``keras`` or ``tf_keras``."""
    return keras3() if is_keras3(model) else tf_keras()


def _cls(obj) -> str:
    return type(obj).__name__


def _inbound(layer, k3: bool) -> list[list]:
    """Per call of ``layer`` (its inbound nodes): the layers whose outputs it takes."""
    calls = []
    for node in getattr(layer, "_inbound_nodes", []):
        if k3:
            calls.append([p.operation for p in node.parent_nodes])
        else:
            ins = node.inbound_layers
            calls.append(list(ins) if isinstance(ins, (list, tuple)) else [ins])
    return calls


def read_graph(model) -> Graph:
    """The chain of ``model`` and its structural problems (none when it is a clean chain)."""
    k3 = is_keras3(model)
    K = framework(model)
    problems: list[Problem] = []
    name = model.name
    if not model.built or not getattr(model, "inputs", None):
        problems.append(
            Problem(
                name,
                _cls(model),
                "no known input shape; build it (e.g. start it "
                "with an Input layer) before converting",
            )
        )
        return Graph(None, tuple(model.layers), tuple(problems), False)
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        problems.append(
            Problem(
                name,
                _cls(model),
                f"{len(model.inputs)} inputs and "
                f"{len(model.outputs)} outputs; expected exactly "
                "one of each",
            )
        )

    def is_input(layer):
        return isinstance(layer, K.layers.InputLayer)

    input_layer = model.inputs[0]._keras_history[0]
    body = [layer for layer in model.layers if not is_input(layer)]
    for layer in body:
        if isinstance(layer, K.Model):
            problems.append(
                Problem(
                    layer.name,
                    _cls(layer),
                    "a nested model; flatten it into one Sequential or functional model first",
                )
            )
    if isinstance(model, K.Sequential):
        return Graph(input_layer, tuple(body), tuple(problems), not problems)
    members = {id(layer) for layer in model.layers}
    consumers: dict[int, list] = {}
    for layer in body:
        calls = [[p for p in c if id(p) in members] for c in _inbound(layer, k3)]
        calls = [c for c in calls if c] or [[]]
        if len(calls) > 1:
            problems.append(
                Problem(
                    layer.name,
                    _cls(layer),
                    f"a shared layer, called {len(calls)} times; each layer must be used once",
                )
            )
        ins = calls[0]
        if len(ins) > 1:
            names = ", ".join(repr(i.name) for i in ins)
            problems.append(Problem(layer.name, _cls(layer), f"merges {len(ins)} inputs ({names})"))
        for i in ins:
            consumers.setdefault(id(i), []).append(layer)
    for layer in [input_layer, *body]:
        users = consumers.get(id(layer), [])
        if len(users) > 1:
            names = ", ".join(repr(u.name) for u in users)
            problems.append(
                Problem(layer.name, _cls(layer), f"its output feeds {len(users)} layers ({names})")
            )
    if problems:
        return Graph(input_layer, tuple(body), tuple(problems), False)
    chain = []
    layer = model.outputs[0]._keras_history[0]
    while layer is not input_layer:
        chain.append(layer)
        ins = _inbound(layer, k3)[0]
        if len(ins) != 1:
            break
        layer = ins[0]
    return Graph(input_layer, tuple(chain[::-1]), (), True)
