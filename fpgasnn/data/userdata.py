"""The user's own data: a ``.npz`` file with images and labels, for calibration and evaluation.

File layout (``numpy.savez``): either ``x`` and ``y`` (one set: calibration images are drawn from it and
evaluation uses the others), or ``x_train``/``y_train`` and ``x_test``/``y_test`` (calibration from the
first, evaluation on the second), as Keras' ``load_data()`` returns them. ``y`` may be missing for
calibration only; labels are integers (N,) or one-hot (N, K).

Images: NHWC (Keras' layout), NCHW, (N, H, W) for one channel, or (N, F) flat; uint8 (0..255), other
integers, or floats. How an input becomes the SNN's integer input (the input encoding,
:class:`InputEncoding`): the Keras model is fed ``x * input_scale`` for integer data and ``x`` itself for
float data.

- A model with no quantizer on its input sees ``pixels * input_scale``: integer data ARE the pixels;
  float data are divided by ``input_scale`` and rounded, ``pixels = round(x / input_scale)`` (so
  ``--input-scale 1/255`` takes data already divided by 255 back to 0..255 exactly). Pixels are
  unsigned 8-bit when they fit 0..255, else the smallest signed or unsigned width up to 16 bits that
  holds them.
- A model whose first layer quantizes its input (QKeras ``QActivation(quantized_bits(...))`` or
  ``quantized_relu(...)``): the pixels are that quantizer's integer codes, ``clip(round(v / step), lo,
  hi)`` of the value ``v`` Keras is fed, and the SNN's first layer receives ``pixels * step``, exactly
  the values the Keras model's quantizer passes on. The width is the quantizer's.

NumPy only; no TensorFlow.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fpgasnn.errors import DataError


@dataclass(frozen=True)
class UserData:
    """The arrays of a user's ``.npz`` as read (not yet fitted to a model)."""

    path: str
    x_train: np.ndarray
    y_train: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray | None
    split: bool
    """True when the file has train/test arrays; False when one set ``x``/``y`` serves both."""


def read_npz(path: str | Path) -> UserData:
    """Read and check a user data file (see the module docstring). DataError names the file and key."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"--data {str(p)!r}: no such file")
    try:
        with np.load(p, allow_pickle=False) as z:
            arrays = {k: np.asarray(z[k]) for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise DataError(f"--data {str(p)!r}: not a readable .npz file ({e})") from None
    if "x" in arrays:
        x, y = arrays["x"], arrays.get("y")
        return UserData(str(p), *_pair(p, x, y, "x", "y"), *_pair(p, x, y, "x", "y"), split=False)
    if "x_train" in arrays and "x_test" in arrays:
        tr = _pair(p, arrays["x_train"], arrays.get("y_train"), "x_train", "y_train")
        te = _pair(p, arrays["x_test"], arrays.get("y_test"), "x_test", "y_test")
        return UserData(str(p), *tr, *te, split=True)
    raise DataError(
        f"--data {str(p)!r}: expected arrays 'x' (and 'y'), or 'x_train'/'y_train' and "
        f"'x_test'/'y_test'; found {sorted(arrays) or 'none'}"
    )


def _pair(
    p: Path,
    x: np.ndarray,
    y: np.ndarray | None,
    kx: str,
    ky: str,
) -> tuple[np.ndarray, np.ndarray | None]:
    if x.dtype.kind not in "uif" or x.ndim not in (2, 3, 4) or len(x) == 0:
        raise DataError(
            f"--data {str(p)!r}: {kx!r} must be a non-empty numeric array (N, ...) with "
            f"2 to 4 dimensions; got dtype {x.dtype}, shape {x.shape}"
        )
    if x.dtype.kind == "f" and not np.all(np.isfinite(x)):
        raise DataError(f"--data {str(p)!r}: {kx!r} holds NaN or infinity")
    if y is None:
        return x, None
    if y.ndim == 2 and y.shape[1] > 1:
        y = np.argmax(y, axis=1)
    y = y.reshape(len(y), -1)[:, 0] if y.ndim == 2 else y
    if y.ndim != 1 or len(y) != len(x) or y.dtype.kind not in "uif":
        raise DataError(
            f"--data {str(p)!r}: {ky!r} must hold one label per image ({len(x)}); got "
            f"dtype {y.dtype}, shape {y.shape}"
        )
    if y.dtype.kind == "f" and not np.all(y == np.round(y)):
        raise DataError(f"--data {str(p)!r}: {ky!r} holds non-integer labels")
    return x, y.astype(np.int64)


def to_layout(x: np.ndarray, shape: tuple[int, ...], what: str = "data") -> np.ndarray:
    """``x`` in the FloatNet layout (N, *shape) for a model input ``shape`` (C, H, W) or (F,):
    NHWC first (Keras' layout), then NCHW, (N, H, W) for one channel, flat vectors as given."""
    if len(shape) == 1:
        if x.ndim >= 2 and int(np.prod(x.shape[1:])) == shape[0]:
            return x.reshape(len(x), -1)
    else:
        c, h, w = shape
        if x.ndim == 4 and x.shape[1:] == (h, w, c):
            return x.transpose(0, 3, 1, 2)
        if x.ndim == 4 and x.shape[1:] == (c, h, w):
            return x
        if x.ndim == 3 and c == 1 and x.shape[1:] == (h, w):
            return x[:, None]
    want = (
        f"(N, {shape[1]}, {shape[2]}, {shape[0]}) NHWC or (N, {shape[0]}, {shape[1]}, "
        f"{shape[2]}) NCHW"
        if len(shape) == 3
        else f"(N, {shape[0]}) or images of {shape[0]} values"
    )
    raise DataError(
        f"{what}: images of shape {tuple(x.shape)} do not fit the model input; expected {want}"
    )


def encode(x: np.ndarray, input_scale: float, what: str = "data") -> tuple[np.ndarray, int, bool]:
    """Integer pixels for ``x`` (module docstring), and the pixel width and signedness they need."""
    if x.dtype == np.uint8:  # the common case, as is (no float copy of a whole training set)
        return x, 8, False
    q = np.rint(x.astype(np.float64) / float(input_scale)) if x.dtype.kind == "f" else x
    lo, hi = float(q.min()), float(q.max())
    signed = lo < 0
    for bits in range(8, 17):
        top = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
        bottom = -(1 << (bits - 1)) if signed else 0
        if bottom <= lo and hi <= top:
            break
    else:
        raise DataError(
            f"{what}: pixel values {lo:g}..{hi:g} (= data / input_scale "
            f"{input_scale:g}) need more than 16 bits; check --input-scale"
        )
    dtype = np.uint8 if not signed and bits == 8 else np.int64
    return q.astype(dtype), bits, signed


@dataclass(frozen=True)
class InputEncoding:
    """How data become the SNN's integer input pixels (module docstring).

    ``input_scale``: integer data ``x`` are fed to the Keras model as ``x * input_scale``.
    ``step``/``lo``/``hi``: the model's input quantizer maps a fed value ``v`` to ``clip(round(v / step),
    lo, hi) * step`` (rounding half to even, as TensorFlow rounds); ``step`` 0: no input quantizer.
    ``quantizer``: what it is, for messages and the ``.snn`` metadata.
    """

    input_scale: float = 1.0 / 255.0
    step: float = 0.0
    lo: int = 0
    hi: int = 0
    quantizer: str = ""

    @property
    def unit(self) -> float:
        """What one pixel is worth to the model: the quantizer's step, else ``input_scale``."""
        return self.step or self.input_scale

    @property
    def width(self) -> tuple[int, bool] | None:
        """(bits, signed) of the quantizer's codes; None without a quantizer (the data decide)."""
        if not self.step:
            return None
        return pixel_width(self.lo, self.hi)

    def pixels(self, x: np.ndarray, what: str = "data") -> tuple[np.ndarray, int, bool]:
        """Integer pixels for data ``x`` (already in the SNN layout), and their width and signedness."""
        if not self.step:
            return encode(x, self.input_scale, what)
        if x.dtype.kind == "f":
            v = x.astype(np.float32)
        else:  # as Keras is fed them: float32 data times float32 input_scale
            v = x.astype(np.float32) * np.float32(self.input_scale)
        q = np.clip(np.rint(v.astype(np.float64) / self.step), self.lo, self.hi)
        bits, signed = pixel_width(self.lo, self.hi)
        return q.astype(np.uint8 if not signed and bits <= 8 else np.int64), bits, signed

    def to_meta(self) -> dict:
        """The encoding as the ``.snn`` metadata records it (``input_encoding``)."""
        d: dict = {"input_scale": float(self.input_scale)}
        if self.step:
            d.update(quantizer=self.quantizer, step=float(self.step), lo=self.lo, hi=self.hi)
        return d

    @classmethod
    def from_meta(cls, meta: dict, input_scale: float | None = None) -> InputEncoding:
        """The encoding a ``.snn`` file records (``input_encoding``, else its ``input_scale``, else
        1/255); ``input_scale`` given: that one instead of the recorded one."""
        enc = meta.get("input_encoding")
        if not isinstance(enc, dict):
            enc = {"input_scale": meta.get("input_scale", 1.0 / 255.0)}
        scale = float(input_scale if input_scale is not None else enc.get("input_scale", 1 / 255))
        if not enc.get("step"):
            return cls(input_scale=scale)
        return cls(
            input_scale=scale,
            step=float(enc["step"]),
            lo=int(enc["lo"]),
            hi=int(enc["hi"]),
            quantizer=str(enc.get("quantizer", "")),
        )


def pixel_width(lo: int, hi: int) -> tuple[int, bool]:
    """The narrowest (bits, signed) that holds the integers lo..hi (at least 1 bit)."""
    signed = lo < 0
    bits = 1
    while True:
        top = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
        bottom = -(1 << (bits - 1)) if signed else 0
        if bottom <= lo and hi <= top:
            return bits, signed
        bits += 1
