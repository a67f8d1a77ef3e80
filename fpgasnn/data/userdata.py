"""The user's own data: a ``.npz`` file with images and labels, for calibration and evaluation.

File layout (``numpy.savez``): either ``x`` and ``y`` (one set: calibration images are drawn from it and
evaluation uses the others), or ``x_train``/``y_train`` and ``x_test``/``y_test`` (calibration from the
first, evaluation on the second), as Keras' ``load_data()`` returns them. ``y`` may be missing for
calibration only; labels are integers (N,) or one-hot (N, K).

Images: NHWC (Keras' layout), NCHW, (N, H, W) for one channel, or (N, F) flat; uint8 (0..255), other
integers, or floats. How an input becomes the SNN's integer input (the input encoding): the model sees
``pixels * input_scale``; integer data ARE the pixels; float data are divided by ``input_scale`` and
rounded: ``pixels = round(x / input_scale)`` (so ``--input-scale 1/255`` takes data already divided by
255 back to 0..255 exactly). Pixels are unsigned 8-bit when they fit 0..255, else the smallest signed or
unsigned width up to 16 bits that holds them.

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
    if x.dtype.kind == "f":
        q = np.rint(x.astype(np.float64) / float(input_scale))
    else:
        q = x.astype(np.float64)
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
