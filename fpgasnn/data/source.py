"""Where a command's images come from, as the SNN's integer pixels: a built-in data set or the user's
``.npz`` file (:mod:`fpgasnn.data.userdata` for its layout and the input encoding).

One :class:`DataSource` serves convert, evaluate, the demo flow, csim and rtlsim, so every command
reads the same file the same way: calibration images from the training split (the data set's, the
user's ``x_train``, or a seeded draw from the user's one set ``x``), test images from the test split
(the user's ``x_test``, or the user's ``x`` less the calibration draw).

NumPy only; no TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fpgasnn.data.userdata import InputEncoding, UserData, read_npz, to_layout
from fpgasnn.errors import DataError


@dataclass
class DataSource:
    """Images for a network input ``shape`` ((C, H, W) or (F,)), encoded with ``encoding``."""

    shape: tuple[int, ...]
    encoding: InputEncoding = field(default_factory=InputEncoding)
    dataset: str = "mnist"
    user: UserData | None = None
    bits: int = 8
    """Pixel width the images encoded so far need (the quantizer's, with an input quantizer)."""
    signed: bool = False
    calib_idx: np.ndarray | None = None
    """Indices of the last calibration draw in the training pool."""
    _train: tuple[np.ndarray, np.ndarray | None] | None = None

    def __post_init__(self) -> None:
        width = self.encoding.width
        if width is not None:
            self.bits, self.signed = width

    @classmethod
    def open(
        cls,
        shape: tuple[int, ...],
        encoding: InputEncoding | None = None,
        *,
        dataset: str = "mnist",
        data: str | None = None,
    ) -> DataSource:
        """The data set ``dataset``, or the user's file ``data`` (read and checked now)."""
        return cls(
            tuple(shape),
            encoding or InputEncoding(),
            dataset=dataset,
            user=read_npz(data) if data else None,
        )

    @classmethod
    def for_model(
        cls,
        model,
        input_scale: float = 1.0 / 255.0,
        *,
        dataset: str = "mnist",
        data: str | None = None,
    ) -> DataSource:
        """The images for a loaded model: its input shape, and its input quantizer's encoding if it
        is a Keras model with one (else ``pixels * input_scale``)."""
        from fpgasnn.frontends import input_shape, runtime_name

        if runtime_name(model) == "Keras":
            from fpgasnn.keras.frontend import input_encoding

            enc = input_encoding(model, input_scale)
        else:
            enc = InputEncoding(input_scale=float(input_scale))
        return cls.open(input_shape(model), enc, dataset=dataset, data=data)

    @property
    def name(self) -> str:
        return f"data file {self.user.path}" if self.user is not None else self.dataset

    @property
    def is_user(self) -> bool:
        return self.user is not None

    def pixels(self, x: np.ndarray, what: str) -> np.ndarray:
        """``x`` in the SNN layout as integer pixels (the input encoding); widens ``bits``/``signed``."""
        x = to_layout(np.asarray(x), self.shape, what)
        q, bits, signed = self.encoding.pixels(x, what)
        if self.encoding.width is None:
            self.bits, self.signed = max(self.bits, bits), self.signed or signed
        return q

    def _dataset_pixels(self, x: np.ndarray) -> np.ndarray:
        try:
            return self.pixels(x, f"data set {self.dataset!r}")
        except DataError:
            from fpgasnn.data import dataset_info

            def hwc(s):
                return f"{s[1]}x{s[2]}x{s[0]}" if len(s) == 3 else f"{s[0]} values"

            raise DataError(
                f"--dataset {self.dataset}: its images are {hwc(dataset_info(self.dataset).shape)}, "
                f"the model's input is {hwc(self.shape)}; give your own images with --data "
                "FILE.npz (arrays x, y)"
            ) from None

    def _key(self, test: bool) -> str:
        u = self.user
        return ("x_test" if test else "x_train") if u.split else "x"

    def train_pool(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The images (and labels) calibration draws from, as pixels."""
        if self._train is None:
            if self.user is not None:
                u = self.user
                x = self.pixels(u.x_train, f"--data {u.path} ({self._key(False)!r})")
                self._train = (x, u.y_train)
            else:
                from fpgasnn.data import load_dataset

                x, y = load_dataset(self.dataset, "train")
                self._train = (self._dataset_pixels(x), y)
        return self._train

    @property
    def train_name(self) -> str:
        if self.user is not None:
            return f"{self.user.path} {self._key(False)!r}"
        return f"{self.dataset} training split"

    def calib_draw(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
        """``n`` training images (and labels) drawn with ``seed``, in index order (as
        :func:`fpgasnn.calibrate.common.pick_calibration` draws); the indices stay in ``calib_idx``."""
        x, y = self.train_pool()
        n = min(int(n), len(x))
        idx = np.sort(np.random.default_rng(seed).choice(len(x), size=n, replace=False))
        self.calib_idx = idx
        return x[idx], (None if y is None else y[idx])

    def test_set(
        self, n: int | None = None, *, calib: tuple[int, int] | None = None, labels: bool = True
    ) -> tuple[np.ndarray, np.ndarray | None, str]:
        """Test pixels, labels and what they are: the data set's test split, the user's ``x_test``, or
        the user's one set ``x`` less the calibration draw ``calib`` = (images, seed) when given.
        ``n``: the first n only. ``labels``: the labels are required (evaluation)."""
        if self.user is None:
            from fpgasnn.data import load_dataset

            x, y = load_dataset(self.dataset, "test")
            what = f"{self.dataset} test images"
            x = self._dataset_pixels(x)
        else:
            u = self.user
            key = self._key(True)
            y = u.y_test if u.split else u.y_train
            if y is None and labels:
                raise DataError(
                    f"--data {u.path}: evaluation needs labels ({'y_test' if u.split else 'y'})"
                )
            x = self.pixels(u.x_test, f"--data {u.path} ({key!r})")
            what = f"images of {u.path} {key!r}"
            if not u.split and calib is not None:
                self.calib_draw(*calib)
                keep = np.setdiff1d(np.arange(len(x)), self.calib_idx)
                if len(keep) == 0:
                    raise DataError(
                        f"--data {u.path}: all {len(x)} images are calibration images; "
                        "lower --calib-images or give x_train/x_test"
                    )
                x, y = x[keep], (None if y is None else y[keep])
                what += f" not drawn for calibration ({len(self.calib_idx)} were)"
        if n:
            x, y = x[:n], (None if y is None else y[:n])
        return x, y, what

    def meta(self) -> dict:
        """What a ``.snn`` records about the data (the calibration draw's indices if there was one)."""
        d = {
            "dataset": self.dataset if self.user is None else "",
            "data_file": self.user.path if self.user is not None else "",
            "input_scale": float(self.encoding.input_scale),
            "input_encoding": self.encoding.to_meta(),
        }
        if self.calib_idx is not None:
            d["calibration_source"] = self.train_name
            d["calibration_indices"] = [int(i) for i in self.calib_idx]
        return d


__all__ = ["DataSource"]
