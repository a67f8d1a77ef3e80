"""Test vectors: seeded random images in the input range and the text formats the test bench reads."""

from __future__ import annotations

import numpy as np

from fpgasnn.hw.stimulus import random_images


def _rows(values: np.ndarray) -> str:
    flat = np.asarray(values, dtype=np.int64).reshape(len(values), -1)
    return "".join(" ".join(str(int(v)) for v in row) + "\n" for row in flat)


def format_images(images: np.ndarray) -> str:
    """One image per line, pixels in C, H, W order."""
    return _rows(images)


def format_outputs(scores: np.ndarray, classes: np.ndarray) -> str:
    """One line per image: the scores, then the class."""
    return _rows(
        np.concatenate(
            [np.asarray(scores).reshape(len(scores), -1), np.asarray(classes).reshape(-1, 1)],
            axis=1,
        )
    )


def parse_outputs(text: str, classes: int) -> tuple[np.ndarray, np.ndarray]:
    vals = np.array(text.split(), dtype=np.int64).reshape(-1, classes + 1)
    return vals[:, :classes], vals[:, classes]


__all__ = ["format_images", "format_outputs", "parse_outputs", "random_images"]
