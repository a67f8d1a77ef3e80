"""Importing tf_keras, QKeras and hls4ml so that hls4ml takes its Keras 2 path.

hls4ml 1.3.0 picks its Keras parser from ``import keras`` when it converts (Keras 3 on TF 2.21); QKeras
models are tf_keras (Keras 2) models. With ``TF_USE_LEGACY_KERAS=1`` and ``sys.modules['keras']`` pointing
at tf_keras while hls4ml reads a model, hls4ml parses tf_keras/QKeras models and its C simulation matches
Keras.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from types import ModuleType


def tf_keras() -> ModuleType:
    """The tf_keras module, with the environment set for QKeras."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tf_keras as tfk

    return tfk


@contextlib.contextmanager
def keras2_as_keras() -> Iterator[None]:
    """Within the block, ``import keras`` yields tf_keras; the previous binding is restored after."""
    tfk = tf_keras()
    missing = object()
    before = sys.modules.get("keras", missing)
    sys.modules["keras"] = tfk
    try:
        yield
    finally:
        if before is missing:
            sys.modules.pop("keras", None)
        else:
            sys.modules["keras"] = before  # type: ignore[assignment]


def hls4ml() -> ModuleType:
    """The hls4ml module, first imported (if it is not yet) while ``keras`` means tf_keras."""
    with keras2_as_keras():
        import hls4ml as h
    return h
