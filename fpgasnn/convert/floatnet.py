"""FloatNet: the front end's output and the converter's input -- a quantized ANN in NumPy.

BatchNorm is already folded into the preceding Conv/Dense, Dropout dropped, layers channel-first (C, H, W)
with Flatten in C, H, W order (front ends permute Keras' HWC Dense weights accordingly). No TensorFlow.

Semantics of :meth:`FloatNet.forward` (float64):
- FInput: ``x = pixels * scale`` (pixels are the integer image, e.g. uint8; scale e.g. 1/255).
- FConv / FDense: ``z = W x + b`` (cross-correlation, zero padding (top, bottom, left, right)).
- FPool: true average over k x k windows, stride k (rows/cols that do not fill a window dropped).
- FAct, the clip-floor-shift quantizer with L levels, threshold lam and shift (0.5: QCFS; 0.0: CASC floor):
  ``h(z) = lam * clip(floor(z * L / lam + shift), 0, L) / L``; with ``quantized=False`` it is the ReLU
  clipped at lam (``clip(z, 0, lam)``), the float ANN's view.
- The last layer is a FConv/FDense whose output are the logits (no activation).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fpgasnn.errors import FrontendError


def _f64(a, name: str, what: str) -> np.ndarray:
    arr = np.asarray(a, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise FrontendError(f"layer {name!r}: {what} contain NaN or infinity")
    arr = arr.copy()
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class FInput:
    """The integer input: ``bits``-bit pixels (signed if ``signed``), each unit worth ``scale``."""

    name: str
    shape: tuple[int, ...]
    scale: float = 1.0 / 255.0
    bits: int = 8
    signed: bool = False


@dataclass(frozen=True, eq=False)
class FConv:
    name: str
    weight: np.ndarray  # (O, C, KH, KW)
    bias: np.ndarray | None
    stride: int = 1
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight", _f64(self.weight, self.name, "weights"))
        if self.bias is not None:
            object.__setattr__(self, "bias", _f64(self.bias, self.name, "biases"))


@dataclass(frozen=True, eq=False)
class FDense:
    name: str
    weight: np.ndarray  # (O, I)
    bias: np.ndarray | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight", _f64(self.weight, self.name, "weights"))
        if self.bias is not None:
            object.__setattr__(self, "bias", _f64(self.bias, self.name, "biases"))


@dataclass(frozen=True, eq=False)
class FPool:
    name: str
    pool: int = 2


@dataclass(frozen=True, eq=False)
class FFlatten:
    name: str


@dataclass(frozen=True, eq=False)
class FAct:
    name: str
    levels: int
    lam: float
    shift: float = 0.5

    def __post_init__(self) -> None:
        if self.levels < 1:
            raise FrontendError(
                f"layer {self.name!r}: quantizer levels must be >= 1, got {self.levels}"
            )
        if not (self.lam > 0 and np.isfinite(self.lam)):
            raise FrontendError(
                f"layer {self.name!r}: threshold lambda must be > 0, got {self.lam}"
            )

    def __call__(self, z: np.ndarray, quantized: bool = True) -> np.ndarray:
        if not quantized:
            return np.clip(z, 0.0, self.lam)
        q = np.clip(np.floor(z * self.levels / self.lam + self.shift), 0, self.levels)
        return q * (self.lam / self.levels)


FLayer = FInput | FConv | FDense | FPool | FFlatten | FAct


def conv2d_float(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    stride: int,
    padding: tuple[int, int, int, int],
) -> np.ndarray:
    n, c, _h, _wd = x.shape
    o, _, kh, kw = w.shape
    pt, pb, pl, pr = padding
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr))) if any(padding) else x
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))[
        :, :, ::stride, ::stride
    ]
    ho, wo = win.shape[2], win.shape[3]
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * kh * kw)
    out = cols @ w.reshape(o, -1).T
    if b is not None:
        out = out + b
    return out.reshape(n, ho, wo, o).transpose(0, 3, 1, 2)


def avgpool_float(x: np.ndarray, k: int) -> np.ndarray:
    n, c, h, w = x.shape
    ho, wo = h // k, w // k
    return x[:, :, : ho * k, : wo * k].reshape(n, c, ho, k, wo, k).mean(axis=(3, 5))


@dataclass(frozen=True, eq=False)
class FloatNet:
    """A chain of float layers: FInput, then (FPool|FFlatten)* FConv|FDense FAct ..., last FConv|FDense."""

    layers: tuple[FLayer, ...]
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        if not self.layers or not isinstance(self.layers[0], FInput):
            raise FrontendError("a FloatNet must start with an FInput layer")
        if not isinstance(self.layers[-1], (FConv, FDense)):
            raise FrontendError(
                f"the last layer must be Conv/Dense producing logits, got {self.layers[-1].name!r}"
            )

    @property
    def input(self) -> FInput:
        return self.layers[0]  # type: ignore[return-value]

    def activations(self) -> list[FAct]:
        return [a for a in self.layers if isinstance(a, FAct)]

    def forward(
        self,
        pixels: np.ndarray,
        *,
        quantized: bool = True,
        keep: bool = False,
        plain: Collection[str] = (),
    ) -> np.ndarray | dict[str, np.ndarray]:
        """Logits for integer ``pixels`` (N, *shape); with ``keep=True`` every layer's output by name.
        Activations named in ``plain`` compute the unclipped float ReLU ``max(z, 0)`` (what a float
        Keras ReLU computes; the front end calibrates their thresholds on it)."""
        x = np.asarray(pixels, dtype=np.float64) * self.input.scale
        outs: dict[str, np.ndarray] = {self.input.name: x}
        for layer in self.layers[1:]:
            if isinstance(layer, FConv):
                x = conv2d_float(x, layer.weight, layer.bias, layer.stride, layer.padding)
            elif isinstance(layer, FDense):
                x = x @ layer.weight.T + (0.0 if layer.bias is None else layer.bias)
            elif isinstance(layer, FPool):
                x = avgpool_float(x, layer.pool)
            elif isinstance(layer, FFlatten):
                x = x.reshape(x.shape[0], -1)
            elif isinstance(layer, FAct):
                x = np.maximum(x, 0.0) if layer.name in plain else layer(x, quantized)
            if keep:
                outs[layer.name] = x
        return outs if keep else x
