"""Networks built from code: the reference MNIST-sized net with random integer weights, a tiny
built-in net, and seeded random small networks for tests (every neuron kind and schedule phase).

Thresholds are set so that typical currents make neurons fire at a moderate rate; the networks are
not trained, they exercise the arithmetic.
"""

from __future__ import annotations

import numpy as np

from fpgasnn.ir.network import Network, infer_shapes
from fpgasnn.ir.nodes import (
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    Input,
    Neuron,
    NeuronKind,
    Output,
    Schedule,
    same_padding,
)


def _theta(rng: np.random.Generator, w: np.ndarray, in_mean: float) -> int:
    per_out = np.abs(w.reshape(w.shape[0], -1)).sum(axis=1).mean()
    return max(1, round(per_out * in_mean * rng.uniform(0.2, 0.5)))


def reference_mnist(
    seed: int = 0, T: int = 4, kind: NeuronKind = NeuronKind.IF, weight_bits: int = 8
) -> Network:
    """1x28x28 -> conv16 3x3 same -> pool2 -> conv32 3x3 same -> pool2 -> dense64 -> dense10."""
    rng = np.random.default_rng(seed)
    wmax = (1 << (weight_bits - 1)) - 1

    def w(*shape: int) -> np.ndarray:
        return rng.integers(-wmax, wmax + 1, size=shape)

    w1, w2, w3, w4 = w(16, 1, 3, 3), w(32, 16, 3, 3), w(64, 32 * 7 * 7), w(10, 64)
    t1 = _theta(rng, w1, 40.0)
    t2 = _theta(rng, w2, 4 * 0.2) * 1
    t3 = _theta(rng, w3, 4 * 0.1)
    nodes = [
        Input("input", (1, 28, 28), bits=8),
        Conv2D("conv1", w1, rng.integers(-t1 // 4, t1 // 4 + 1, 16), padding=(1, 1, 1, 1)),
        Neuron("sn1", kind, t1, t1 // 2),
        AvgPool2D("pool1", 2),
        Conv2D("conv2", w2, rng.integers(-t2 // 4, t2 // 4 + 1, 32), padding=(1, 1, 1, 1)),
        Neuron("sn2", kind, t2, t2 // 2),
        AvgPool2D("pool2", 2),
        Flatten("flatten"),
        Dense("fc1", w3, rng.integers(-t3 // 4, t3 // 4 + 1, 64)),
        Neuron("sn3", kind, t3, t3 // 2),
        Dense("fc2", w4, rng.integers(-50, 51, 10)),
        Output("out"),
    ]
    return Network(
        tuple(nodes),
        Schedule(wake=T),
        {"source": "fpgasnn.ir.examples.reference_mnist", "seed": seed},
    )


def tiny(seed: int = 0, T: int = 4) -> Network:
    """1x8x8 -> conv4 3x3 -> pool2 -> dense10: the built-in demo net."""
    rng = np.random.default_rng(seed)
    w1 = rng.integers(-7, 8, size=(4, 1, 3, 3))
    w2 = rng.integers(-7, 8, size=(10, 4 * 3 * 3))
    nodes = [
        Input("input", (1, 8, 8), bits=4),
        Conv2D("conv1", w1, rng.integers(-8, 9, 4)),
        Neuron("sn1", NeuronKind.IF, 40, 20),
        AvgPool2D("pool1", 2),
        Flatten("flatten"),
        Dense("fc", w2, rng.integers(-4, 5, 10)),
        Output("out"),
    ]
    return Network(
        tuple(nodes), Schedule(wake=T), {"source": "fpgasnn.ir.examples.tiny", "seed": seed}
    )


def random_network(
    seed: int,
    kind: NeuronKind | None = None,
    schedule: Schedule | None = None,
    per_neuron_v0: bool | None = None,
) -> Network:
    """A random small network: 1-2 conv stages (random stride/padding/pool), 0-1 dense hidden stage."""
    rng = np.random.default_rng(seed)
    kinds = list(NeuronKind)
    kind = kind or kinds[int(rng.integers(len(kinds)))]
    if schedule is None:
        schedule = Schedule(
            wake=int(rng.integers(1, 5)),
            presim=int(rng.choice([0, 0, 2])),
            sleep=int(rng.choice([0, 0, 2])),
        )
    c = int(rng.integers(1, 3))
    h = int(rng.integers(6, 11))
    bits = int(rng.choice([4, 8]))
    nodes: list = [Input("in", (c, h, h), bits=bits, signed=bool(rng.integers(2)) and bits == 8)]
    shape = (c, h, h)
    in_mean = float((1 << bits) / 4)
    n_conv = int(rng.integers(1, 3))
    for i in range(n_conv):
        o = int(rng.integers(2, 6))
        k = int(rng.choice([1, 3])) if shape[1] >= 3 else 1
        stride = int(rng.choice([1, 1, 2]))
        if rng.integers(2):
            pt, pb = same_padding(shape[1], k, stride)
            pl, pr = same_padding(shape[2], k, stride)
            pad = (pt, pb, pl, pr)
        else:
            pad = (0, 0, 0, 0)
        w = rng.integers(-7, 8, size=(o, shape[0], k, k))
        th = _theta(rng, w, in_mean)
        conv = Conv2D(
            f"conv{i}",
            w,
            rng.integers(-th // 3, th // 3 + 1, o) if rng.integers(3) else None,
            stride=stride,
            padding=pad,
        )
        nodes.append(conv)
        shape = infer_shapes(nodes)[-1]
        use_pn = bool(rng.integers(2)) if per_neuron_v0 is None else per_neuron_v0
        v0 = rng.integers(-th // 2, th + 1, size=shape) if use_pn else int(rng.integers(0, th))
        nodes.append(Neuron(f"sn{i}", kind, th, v0))
        in_mean = 0.3
        if shape[1] >= 4 and rng.integers(2):
            nodes.append(AvgPool2D(f"pool{i}", 2))
            shape = (shape[0], shape[1] // 2, shape[2] // 2)
            in_mean *= 4
    nodes.append(Flatten("flat"))
    f = int(np.prod(shape))
    if rng.integers(2):
        o = int(rng.integers(4, 12))
        w = rng.integers(-7, 8, size=(o, f))
        th = _theta(rng, w, in_mean)
        nodes.append(Dense("fc_h", w, rng.integers(-th // 3, th // 3 + 1, o)))
        nodes.append(Neuron("sn_h", kind, th, th // 2))
        f = o
    nclass = int(rng.integers(3, 8))
    nodes.append(
        Dense("fc_out", rng.integers(-7, 8, size=(nclass, f)), rng.integers(-5, 6, nclass))
    )
    nodes.append(Output("out"))
    return Network(
        tuple(nodes), schedule, {"source": "fpgasnn.ir.examples.random_network", "seed": seed}
    )


def refined(net: Network, shifts: dict[str, int]) -> Network:
    """``net`` with the synapse of each hidden stage named in ``shifts`` (by synapse name) at ``2**k``
    times finer units: weights, bias, threshold and initial membrane all multiplied by ``2**k``. Every
    spike stays the same, so the golden outputs are unchanged -- a test case for the back ends'
    shifted-weight storage (:func:`fpgasnn.ir.ranges.weight_shift`). Widths are re-annotated."""
    from dataclasses import replace

    from fpgasnn.errors import IRError
    from fpgasnn.ir.ranges import annotate_widths

    nodes = list(net.nodes)
    for i, n in enumerate(nodes):
        if isinstance(n, (Conv2D, Dense)) and n.name in shifts:
            f = 1 << shifts[n.name]
            act = nodes[i + 1]
            if not isinstance(act, Neuron):
                raise IRError(f"layer {n.name!r}: only synapses followed by neurons can be refined")
            nodes[i] = replace(n, weight=n.weight * f, bias=None if n.bias is None else n.bias * f)
            nodes[i + 1] = replace(
                act,
                theta=act.theta * f,
                v0=act.v0 * f if np.ndim(act.v0) == 0 else np.asarray(act.v0) * f,
            )
    return annotate_widths(Network(tuple(nodes), net.schedule, dict(net.meta)))
