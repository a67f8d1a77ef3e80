"""Importing tf_keras, QKeras and hls4ml in the order that makes hls4ml take its Keras 2 path.

hls4ml 1.3.0 picks its Keras parser from ``import keras`` (Keras 3 on TF 2.21); QKeras models are tf_keras
(Keras 2) models. With ``TF_USE_LEGACY_KERAS=1`` and ``sys.modules['keras'] = tf_keras`` set before
hls4ml is first imported, hls4ml parses tf_keras/QKeras models and its C simulation matches Keras.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType


def tf_keras() -> ModuleType:
    """The tf_keras module, with the environment set for QKeras."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tf_keras as tfk

    return tfk


def hls4ml() -> ModuleType:
    """The hls4ml module, imported so that it parses tf_keras (Keras 2) models."""
    if "hls4ml" not in sys.modules:
        sys.modules["keras"] = tf_keras()
    import hls4ml as h

    return h
