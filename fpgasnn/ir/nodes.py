"""IR node types: the layers of an integer spiking network.

Tensors are batch-first and channel-first: an image is (C, H, W), a flat vector (F,). Flatten orders
elements C, H, W (row-major over the channel-first tensor); front ends that read HWC models permute their
Dense weights to match.

Every node is a frozen dataclass. Integer parameters are int64 NumPy arrays (read-only views); equality
of nodes is by identity (use :func:`fpgasnn.ir.network.networks_equal` to compare contents).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from fpgasnn.errors import IRError


class NeuronKind(enum.Enum):
    """The closed set of spiking neuron models (DESIGN.md section 2)."""

    IF = "if"
    """Integrate-and-fire, reset by subtraction, spikes in {0, 1}."""
    SIGNED_IF = "signed_if"
    """Fast-SNN signed IF: also a negative spike when v < 0 and the running count N > 0."""
    CONSISTENT_IF = "consistent_if"
    """CASC consistent IF: positive spike only while N < wake steps so far; negative as signed IF."""

    @property
    def signed(self) -> bool:
        return self is not NeuronKind.IF


def _int_array(value, what: str, name: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "iub":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise IRError(f"layer {name!r}: {what} must be integers, got dtype {arr.dtype}")
    arr = np.array(arr, dtype=np.int64, copy=True)
    arr.setflags(write=False)
    return arr


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name:
        raise IRError(f"layer name must be a non-empty string, got {name!r}")


@dataclass(frozen=True, eq=False)
class Input:
    """The network input: a quantized image of ``shape`` with ``bits``-bit integer pixels.

    Unsigned pixels lie in [0, 2**bits - 1]; signed in [-2**(bits-1), 2**(bits-1) - 1].
    """

    name: str
    shape: tuple[int, ...]
    bits: int = 8
    signed: bool = False

    def __post_init__(self) -> None:
        _check_name(self.name)
        shape = tuple(int(s) for s in self.shape)
        object.__setattr__(self, "shape", shape)
        if len(shape) not in (1, 3) or any(s <= 0 for s in shape):
            raise IRError(
                f"layer {self.name!r}: input shape must be (C, H, W) or (F,) with positive sizes, "
                f"got {shape}"
            )
        if not 1 <= self.bits <= 16:
            raise IRError(f"layer {self.name!r}: input bits must be in 1..16, got {self.bits}")

    @property
    def value_range(self) -> tuple[int, int]:
        if self.signed:
            return -(1 << (self.bits - 1)), (1 << (self.bits - 1)) - 1
        return 0, (1 << self.bits) - 1


@dataclass(frozen=True, eq=False)
class Conv2D:
    """Integer 2-D convolution (cross-correlation): ``I[o,y,x] = sum W[o,c,i,j] * x[c, y*s+i-pt, x*s+j-pl] + b[o]``.

    ``weight`` is (O, C, KH, KW); ``bias`` is (O,) or None; ``padding`` is (top, bottom, left, right)
    of zeros. The bias is added in every time step in which biases are on (not in sleep steps).
    ``current_bits`` is the width of one step's current, set by range analysis.
    """

    name: str
    weight: np.ndarray
    bias: np.ndarray | None = None
    stride: int = 1
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    current_bits: int | None = None

    def __post_init__(self) -> None:
        _check_name(self.name)
        w = _int_array(self.weight, "weights", self.name)
        if w.ndim != 4:
            raise IRError(
                f"layer {self.name!r}: Conv2D weight must be (O, C, KH, KW), got shape {w.shape}"
            )
        object.__setattr__(self, "weight", w)
        if self.bias is not None:
            b = _int_array(self.bias, "biases", self.name)
            if b.shape != (w.shape[0],):
                raise IRError(
                    f"layer {self.name!r}: bias must have shape ({w.shape[0]},), got {b.shape}"
                )
            object.__setattr__(self, "bias", b)
        if int(self.stride) < 1:
            raise IRError(f"layer {self.name!r}: stride must be >= 1, got {self.stride}")
        object.__setattr__(self, "stride", int(self.stride))
        pad = tuple(int(p) for p in self.padding)
        if len(pad) != 4 or any(p < 0 for p in pad):
            raise IRError(
                f"layer {self.name!r}: padding must be 4 non-negative ints (top, bottom, left, right), "
                f"got {self.padding}"
            )
        object.__setattr__(self, "padding", pad)

    @property
    def out_channels(self) -> int:
        return int(self.weight.shape[0])

    @property
    def kernel(self) -> tuple[int, int]:
        return int(self.weight.shape[2]), int(self.weight.shape[3])


@dataclass(frozen=True, eq=False)
class Dense:
    """Integer fully connected layer: ``I[o] = sum_i W[o, i] * x[i] + b[o]``; ``weight`` is (O, I)."""

    name: str
    weight: np.ndarray
    bias: np.ndarray | None = None
    current_bits: int | None = None

    def __post_init__(self) -> None:
        _check_name(self.name)
        w = _int_array(self.weight, "weights", self.name)
        if w.ndim != 2:
            raise IRError(f"layer {self.name!r}: Dense weight must be (O, I), got shape {w.shape}")
        object.__setattr__(self, "weight", w)
        if self.bias is not None:
            b = _int_array(self.bias, "biases", self.name)
            if b.shape != (w.shape[0],):
                raise IRError(
                    f"layer {self.name!r}: bias must have shape ({w.shape[0]},), got {b.shape}"
                )
            object.__setattr__(self, "bias", b)

    @property
    def out_channels(self) -> int:
        return int(self.weight.shape[0])


@dataclass(frozen=True, eq=False)
class AvgPool2D:
    """Average pooling with the 1/k**2 folded away: the integer output is the SUM over each k x k window.

    Stride equals ``pool``; rows/columns that do not fill a window are dropped (Keras 'valid').
    The converter multiplies the next neuron's threshold by k**2 so the arithmetic is exact.
    """

    name: str
    pool: int = 2

    def __post_init__(self) -> None:
        _check_name(self.name)
        if int(self.pool) < 1:
            raise IRError(f"layer {self.name!r}: pool size must be >= 1, got {self.pool}")
        object.__setattr__(self, "pool", int(self.pool))


@dataclass(frozen=True, eq=False)
class Flatten:
    """Reshape (C, H, W) to (C*H*W,) in C, H, W order."""

    name: str

    def __post_init__(self) -> None:
        _check_name(self.name)


@dataclass(frozen=True, eq=False)
class Neuron:
    """A layer of spiking neurons fed by the synaptic layer just before it.

    Per time step, with I the incoming current (DESIGN.md section 2)::

        v = v + I
        IF:            s = +1 if v >= theta                       ; v -= s * theta
        SIGNED_IF:     s = +1 if v >= theta, -1 if v < 0 and N > 0 ; v -= s * theta ; N += s
        CONSISTENT_IF: s = +1 if v >= theta and N < t_wake,
                           -1 if v < 0 and N > 0                   ; v -= s * theta ; N += s

    where t_wake is the number of wake steps so far (this one included; frozen during sleep steps).
    ``v0`` is the initial membrane: an int (whole layer) or an int array of the layer's shape.
    ``membrane_bits`` is set by range analysis: no membrane value (before or after the reset) needs more.
    """

    name: str
    kind: NeuronKind
    theta: int
    v0: int | np.ndarray = 0
    membrane_bits: int | None = None

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not isinstance(self.kind, NeuronKind):
            try:
                object.__setattr__(self, "kind", NeuronKind(self.kind))
            except ValueError:
                kinds = ", ".join(k.value for k in NeuronKind)
                raise IRError(
                    f"layer {self.name!r}: neuron kind must be one of {kinds}; got {self.kind!r}"
                ) from None
        if isinstance(self.theta, bool) or int(self.theta) != self.theta or int(self.theta) < 1:
            raise IRError(
                f"layer {self.name!r}: threshold must be a positive integer, got {self.theta!r}"
            )
        object.__setattr__(self, "theta", int(self.theta))
        if np.ndim(self.v0) == 0:
            v0 = self.v0
            if isinstance(v0, bool) or int(v0) != v0:
                raise IRError(
                    f"layer {self.name!r}: initial membrane must be an integer, got {v0!r}"
                )
            object.__setattr__(self, "v0", int(v0))
        else:
            object.__setattr__(self, "v0", _int_array(self.v0, "initial membranes", self.name))

    @property
    def per_neuron_v0(self) -> bool:
        return isinstance(self.v0, np.ndarray)

    def v0_range(self) -> tuple[int, int]:
        if isinstance(self.v0, np.ndarray):
            return int(self.v0.min()), int(self.v0.max())
        return self.v0, self.v0


@dataclass(frozen=True, eq=False)
class Output:
    """The output accumulator: integer membranes that add the final layer's current every step, no spikes.

    The scores are the accumulated values; the class is the first index of the maximum.
    ``acc_bits`` is set by range analysis.
    """

    name: str
    acc_bits: int | None = None

    def __post_init__(self) -> None:
        _check_name(self.name)


@dataclass(frozen=True)
class Schedule:
    """The time steps of one inference, in order: ``presim`` (COS offset pre-run), ``wake``, ``sleep``.

    - presim steps: image input and biases on; afterwards every neuron's initial membrane is shifted by
      +theta where v >= theta, by -theta where v < 0 and N > 0; then state and the output are reset.
    - wake steps (the paper-style ``T``): image input and biases on.
    - sleep steps (CASC): zero input, biases off, wake counter frozen; the output keeps accumulating.
    All of them are time steps the hardware runs: ``total`` counts them all.
    """

    wake: int
    presim: int = 0
    sleep: int = 0

    def __post_init__(self) -> None:
        if int(self.wake) < 1:
            raise IRError(f"schedule: wake steps (T) must be >= 1, got {self.wake}")
        if int(self.presim) < 0 or int(self.sleep) < 0:
            raise IRError(
                f"schedule: presim and sleep steps must be >= 0, got presim={self.presim}, "
                f"sleep={self.sleep}"
            )
        for f in ("wake", "presim", "sleep"):
            object.__setattr__(self, f, int(getattr(self, f)))

    @property
    def total(self) -> int:
        return self.presim + self.wake + self.sleep

    def phases(self) -> list[str]:
        """One entry per step: 'presim', 'wake' or 'sleep'."""
        return ["presim"] * self.presim + ["wake"] * self.wake + ["sleep"] * self.sleep


SYNAPSE_TYPES = (Conv2D, Dense)
TRANSFORM_TYPES = (AvgPool2D, Flatten)
Node = Input | Conv2D | Dense | AvgPool2D | Flatten | Neuron | Output

OP_NAMES: dict[type, str] = {
    Input: "input",
    Conv2D: "conv2d",
    Dense: "dense",
    AvgPool2D: "avgpool2d",
    Flatten: "flatten",
    Neuron: "neuron",
    Output: "output",
}
OP_TYPES: dict[str, type] = {v: k for k, v in OP_NAMES.items()}


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """Keras/TensorFlow 'same' padding (before, after) for one spatial axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2
