"""The one place that imports TensorFlow: tf_keras (Keras 2, as QKeras 0.9 needs it) and Keras 3.

Both live in one process: ``TF_USE_LEGACY_KERAS=1`` makes ``tf.keras`` tf_keras, while ``import keras``
is still Keras 3 (``keras.saving.load_model`` reads Keras 3 ``.keras`` files).

TensorFlow's C++ runtime writes absl / CUDA / oneDNN lines straight to file descriptor 2 when it is
imported. :func:`tf_keras` and :func:`keras3` set ``TF_CPP_MIN_LOG_LEVEL=3`` and
``TF_ENABLE_ONEDNN_OPTS=0`` before the first import and hold those lines back: they are shown only if
the import fails, or when the ``fpgasnn`` logger is at INFO or below (the CLI's ``-v``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from types import ModuleType

_LOG = logging.getLogger("fpgasnn")


def _set_env() -> None:
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


@contextlib.contextmanager
def _held_stderr() -> Iterator[None]:
    """Within the block, whatever is written to file descriptor 2 is kept aside; it is written out
    after the block only if the block raised or logging is verbose."""
    if _LOG.isEnabledFor(logging.INFO):
        yield
        return
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, ValueError, OSError):  # no real stderr (e.g. captured by a test runner)
        fd = 2
    sys.stderr.flush()
    saved = os.dup(fd)
    failed = False
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), fd)
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
            if failed:
                tmp.seek(0)
                os.write(fd, tmp.read())


def tf_keras() -> ModuleType:
    """The ``tf_keras`` module (TensorFlow imported quietly on first use)."""
    _set_env()
    if "tf_keras" in sys.modules:
        return sys.modules["tf_keras"]
    with _held_stderr():
        import tf_keras as tfk
    return tfk


def keras3() -> ModuleType:
    """The Keras 3 ``keras`` module (imported quietly, beside tf_keras)."""
    _set_env()
    if "keras" in sys.modules and hasattr(sys.modules["keras"], "saving"):
        return sys.modules["keras"]
    with _held_stderr():
        import keras
    return keras


def is_keras3(obj) -> bool:
    """Whether ``obj`` (a model or layer) belongs to Keras 3 rather than tf_keras / QKeras."""
    mod = type(obj).__module__
    return mod == "keras" or mod.startswith("keras.")
