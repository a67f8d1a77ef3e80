"""Training the reference CNNs (quantization-aware, Adam with cosine decay) and a cache of trained models.

``cached_reference_model(dataset)`` trains once and keeps the model as
``~/.cache/fpgasnn/models/<dataset>-<spec hash>.h5`` (``FPGASNN_CACHE`` overrides ``~/.cache/fpgasnn``).
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from fpgasnn.data import dataset_info, load_dataset
from fpgasnn.keras.models import DEFAULT_SPECS, ModelSpec, reference_cnn, to_input


@dataclass(frozen=True)
class TrainResult:
    path: Path
    spec: ModelSpec
    seconds: float
    test_top1_pct: float
    test_images: int


def cache_dir() -> Path:
    root = os.environ.get("FPGASNN_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "fpgasnn"
    )
    return Path(root) / "models"


def default_spec(dataset: str, **overrides) -> ModelSpec:
    name = dataset_info(dataset).name
    base = DEFAULT_SPECS.get(name, ModelSpec(dataset=name))
    return replace(base, **overrides) if overrides else base


def _progress_callback(tfk, total_steps: int, epochs: int):
    from tqdm.auto import tqdm

    class TqdmProgress(tfk.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.bar = tqdm(total=total_steps, unit="batch", desc="training", dynamic_ncols=True)

        def on_epoch_begin(self, epoch, logs=None):
            self.bar.set_description(f"epoch {epoch + 1}/{epochs}")

        def on_train_batch_end(self, batch, logs=None):
            self.bar.update(1)
            if logs and batch % 20 == 0:
                self.bar.set_postfix(
                    loss=f"{logs.get('loss', 0):.3f}", acc=f"{logs.get('accuracy', 0):.3f}"
                )

        def on_train_end(self, logs=None):
            self.bar.close()

    return TqdmProgress()


def train_model(
    spec: ModelSpec, output: str | Path, *, progress: bool = False, threads: int | None = None
) -> TrainResult:
    """Train ``spec``'s reference CNN on its data set's training split, save it to ``output`` (.h5 or
    .keras), and measure top-1 on the full test split."""
    from fpgasnn.keras.tf_env import tf_keras

    tfk = tf_keras()
    import tensorflow as tf

    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    info = dataset_info(spec.dataset)
    x_train, y_train = load_dataset(info.name, "train")
    x_test, y_test = load_dataset(info.name, "test")
    if spec.train_images is not None:
        x_train, y_train = x_train[: spec.train_images], y_train[: spec.train_images]
    tfk.utils.set_random_seed(spec.seed)
    c, h, w = info.shape
    model = reference_cnn(spec, (h, w, c))
    steps = int(np.ceil(len(x_train) / spec.batch_size))
    lr = tfk.optimizers.schedules.CosineDecay(
        spec.learning_rate, decay_steps=max(1, steps * spec.epochs)
    )
    model.compile(
        optimizer=tfk.optimizers.Adam(lr),
        loss=tfk.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    callbacks = [_progress_callback(tfk, steps * spec.epochs, spec.epochs)] if progress else []
    t0 = time.perf_counter()
    model.fit(
        to_input(x_train),
        np.asarray(y_train),
        batch_size=spec.batch_size,
        epochs=spec.epochs,
        shuffle=True,
        verbose=0,
        callbacks=callbacks,
    )
    seconds = time.perf_counter() - t0
    logits = model.predict(to_input(x_test), batch_size=1000, verbose=0)
    top1 = 100.0 * float(np.mean(np.argmax(logits, axis=1) == y_test))
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.tmp{os.getpid()}{out.suffix}")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*HDF5 file.*legacy.*")
        model.save(tmp)
    os.replace(tmp, out)
    return TrainResult(out, spec, seconds, top1, len(x_test))


def reference_model_path(dataset: str = "mnist", spec: ModelSpec | None = None) -> Path:
    """Where the cache keeps the reference model for ``dataset`` (or ``spec``); it may not exist yet."""
    spec = spec or default_spec(dataset)
    return cache_dir() / f"{spec.dataset}-{spec.key()}.h5"


def cached_reference_model(
    dataset: str = "mnist", spec: ModelSpec | None = None, *, progress: bool = False
) -> Path:
    """Path of the trained reference model for ``dataset`` (or ``spec``), training it on first use."""
    spec = spec or default_spec(dataset)
    path = reference_model_path(dataset, spec)
    if not path.is_file():
        train_model(spec, path, progress=progress)
    return path
