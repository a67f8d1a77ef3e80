"""Checks every subcommand runs on its arguments before any expensive step.

``argparse`` types (``count``, ``input_file``, ...) reject a bad value while the command line is
parsed, with one line naming the argument and the value. The other functions are for what only
``run`` can see (an argument against another, a path against a project, the content of an input
file); they raise :class:`UsageError` (or the IR's SerializationError for a broken .snn file).
Nothing here imports TensorFlow; NumPy and the IR are imported where a file is read.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from pathlib import Path

from fpgasnn.errors import UsageError


def count(lo: int = 1, hi: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer in [lo, hi] (hi None: no upper bound)."""
    want = f"an integer >= {lo}" if hi is None else f"an integer in [{lo}, {hi}]"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {want}, got {text!r}") from None
        if value < lo or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"expected {want}, got {text!r}")
        return value

    parse.__name__ = "count"
    return parse


def input_file(text: str) -> str:
    """An argparse type: an existing, readable file."""
    p = Path(text)
    if not p.exists():
        raise argparse.ArgumentTypeError(f"no such file: {text!r}")
    if p.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder, expected a file")
    if not os.access(p, os.R_OK):
        raise argparse.ArgumentTypeError(f"{text!r} is not readable")
    return text


def input_path(text: str) -> str:
    """An argparse type: an existing file or folder."""
    if not Path(text).exists():
        raise argparse.ArgumentTypeError(f"no such file or folder: {text!r}")
    return text


def project_dir(text: str) -> str:
    """An argparse type: a folder written by ``fpgasnn build`` (it has project.json)."""
    p = Path(text)
    if not p.exists():
        raise argparse.ArgumentTypeError(f"no such project folder: {text!r}")
    if not p.is_dir():
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a folder; give a project folder written by `fpgasnn build`"
        )
    if not (p / "project.json").is_file():
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an fpgasnn project (no project.json); run `fpgasnn build` first"
        )
    return text


def board_name(text: str) -> str:
    """An argparse type: the name of a board a project is built for (boards/*.json)."""
    from fpgasnn.boards import load_board
    from fpgasnn.errors import BackendError

    try:
        load_board(text)
    except BackendError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def method_name(text: str) -> str:
    """An argparse type: a conversion method (see ``fpgasnn convert --help``)."""
    from fpgasnn.calibrate import get_method
    from fpgasnn.errors import FpgasnnError

    try:
        get_method(text)
    except FpgasnnError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def _writable_parent(p: Path, text: str) -> None:
    parent = p.absolute().parent
    if not parent.exists():
        raise argparse.ArgumentTypeError(f"folder {str(parent)!r} of {text!r} does not exist")
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"{str(parent)!r} (in {text!r}) is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"folder {str(parent)!r} of {text!r} is not writable")


def output_file(*suffixes: str) -> Callable[[str], str]:
    """An argparse type: a file to write, named ``*suffix`` (one of ``suffixes``, if any), whose
    folder exists and is writable; an existing file there is replaced (atomically) by the
    command."""

    def parse(text: str) -> str:
        p = Path(text)
        if not text or p.name in ("", ".", ".."):
            raise argparse.ArgumentTypeError(f"expected a file name, got {text!r}")
        if suffixes and p.suffix.lower() not in suffixes:
            raise argparse.ArgumentTypeError(
                f"expected a {' or '.join(suffixes)} file name, got {text!r}"
            )
        if p.is_dir():
            raise argparse.ArgumentTypeError(f"{text!r} is a folder, expected a file name")
        if p.exists() and not os.access(p, os.W_OK):
            raise argparse.ArgumentTypeError(f"{text!r} exists and is not writable")
        _writable_parent(p, text)
        return text

    parse.__name__ = "output_file"
    return parse


def output_dir(text: str) -> str:
    """An argparse type: a folder to create (its parent must exist and be writable) or an existing,
    writable folder."""
    p = Path(text)
    if not text:
        raise argparse.ArgumentTypeError("expected a folder name, got ''")
    if p.exists() and not p.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} exists and is not a folder")
    if p.is_dir():
        if not os.access(p, os.W_OK | os.X_OK):
            raise argparse.ArgumentTypeError(f"folder {text!r} is not writable")
        return text
    _writable_parent(p, text)
    return text


def check_outside(work: str | Path, folder: str | Path, arg: str, what: str) -> None:
    """``work`` (the value of ``arg``) must not be ``folder`` nor lie inside it."""
    w, f = Path(work).resolve(), Path(folder).resolve()
    if w.is_relative_to(f):
        raise UsageError(
            f"{arg} {str(work)!r}: must lie outside {what} {str(folder)!r} (a scratch "
            "folder there would mix with its files)"
        )


def read_npy(path: str, arg: str):
    """The array in the .npy file ``path`` (no pickled objects); a UsageError naming ``arg`` if
    there is none."""
    import numpy as np

    try:
        with open(path, "rb") as f:
            magic = f.read(6)
        if magic != b"\x93NUMPY":
            raise UsageError(f"{arg} {path!r}: not a .npy file (no NumPy array header)")
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise UsageError(f"{arg} {path!r}: no such file") from None
    except (ValueError, OSError, EOFError) as e:
        raise UsageError(f"{arg} {path!r}: not a readable .npy file ({e})") from None


def load_images(path: str, net, arg: str = "--inputs"):
    """The integer images of the .npy file ``path``, checked against ``net``'s input layer (shape,
    dtype, pixel range) before any compile or simulator build."""
    from fpgasnn.errors import SimulationError
    from fpgasnn.golden.simulate import _check_images

    x = read_npy(path, arg)
    if x.ndim == 0 or len(x) == 0:
        raise UsageError(f"{arg} {path!r}: holds no images (shape {x.shape})")
    try:
        return _check_images(net, x)
    except SimulationError as e:
        raise UsageError(f"{arg} {path!r}: {e}") from None


def fraction(name: str, hi: float | None = None) -> Callable[[str], float]:
    """An argparse type: a number > 0 (and <= hi), written as a number or a fraction ("1/255")."""

    def parse(text: str) -> float:
        try:
            if "/" in text:
                a, b = text.split("/", 1)
                v = float(a) / float(b)
            else:
                v = float(text)
        except (ValueError, ZeroDivisionError):
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not (math.isfinite(v) and v > 0 and (hi is None or v <= hi)):
            rng = f"in (0, {hi:g}]" if hi is not None else "> 0"
            raise argparse.ArgumentTypeError(f"expected a number {rng}, got {text!r}")
        return v

    parse.__name__ = name
    return parse


def nonnegative(text: str) -> float:
    """An argparse type: a finite number >= 0."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}") from None
    if not (math.isfinite(v) and v >= 0.0):
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return v


def npz_file(text: str) -> str:
    """An argparse type: an existing, readable ``.npz`` file (``numpy.savez`` writes a zip archive)."""
    import zipfile

    input_file(text)
    if not zipfile.is_zipfile(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a .npz file (numpy.savez(FILE, x=images, y=labels) writes one)"
        )
    return text


DATA_HELP = (
    "your own images: a .npz file with arrays x and y (or x_train, y_train, x_test, y_test); images "
    "NHWC or NCHW ((N, H, W) for one channel, (N, F) for a flat input), uint8, or float with "
    "--input-scale"
)


def add_data_args(
    parser: argparse.ArgumentParser,
    group=None,
    *,
    use: str,
    scale_default: str = "1/255: a model trained on x / 255",
) -> None:
    """``--data FILE.npz`` (into ``group``, e.g. one exclusive with ``--dataset``, if given) and
    ``--input-scale S``, the same for every command that reads the user's images; ``use`` says what
    the command does with them. ``--input-scale`` defaults to None: the command's own default,
    ``scale_default`` in the help."""
    (group or parser).add_argument(
        "--data", type=npz_file, default=None, metavar="FILE.npz", help=f"{DATA_HELP}; {use}"
    )
    parser.add_argument(
        "--input-scale",
        type=fraction("input_scale"),
        default=None,
        metavar="S",
        help="the model is fed integer data x as x * S, float data as they are; float data become "
        "pixels round(x / S) (with a quantizer on the model's input: its integer codes) "
        f"(default {scale_default})",
    )


def load_data_images(path: str, net, input_scale: float | None = None, n: int | None = None):
    """The first ``n`` test images of the user's ``.npz`` file ``path`` (``x_test``, else ``x``) as
    ``net``'s integer pixels, encoded as the ``.snn`` records (``input_encoding``; ``input_scale``
    given: that one instead), and their labels (None if the file has none), and what they are;
    checked against ``net``'s input before any compile or simulator build."""
    from fpgasnn.data.source import DataSource
    from fpgasnn.data.userdata import InputEncoding
    from fpgasnn.errors import SimulationError
    from fpgasnn.golden.simulate import _check_images

    enc = InputEncoding.from_meta(net.meta, input_scale)
    src = DataSource.open(net.input.shape, enc, data=path)
    x, y, what = src.test_set(n, labels=False)
    try:
        return _check_images(net, x), y, what
    except SimulationError as e:
        how = (
            f"codes of the input quantizer {enc.quantizer}"
            if enc.step
            else f"input_scale {enc.input_scale:g}: float data become round(x / S)"
        )
        raise UsageError(
            f"--data {path!r}: {e} (pixels encoded as the network's input expects, {how}; "
            "check --input-scale)"
        ) from None


def simulation_images(args: argparse.Namespace, net, default_n: int):
    """The images a simulation command runs (``--inputs``, ``--data`` or seeded random ones) as
    (pixels or None for random ones, labels or None, how many, what they are)."""
    if args.inputs and args.data:
        raise UsageError("--data: not with --inputs (give the images one way)")
    if args.input_scale is not None and not args.data:
        raise UsageError(
            "--input-scale: only with --data (it says how the file's data are encoded)"
        )
    n = default_n if args.images is None else args.images
    if args.data:
        x, y, what = load_data_images(args.data, net, args.input_scale, n)
        return x, y, len(x), f"the first {len(x)} {what}"
    if args.inputs:
        x = load_images(args.inputs, net)
        return x, None, len(x), f"the {len(x)} images of {args.inputs}"
    return None, None, n, f"{n} seeded random images (seed {args.seed})"


def load_network(path: str | Path):
    """The network in the .snn file ``path``. A file whose values the IR rejects with a plain
    ValueError / TypeError (e.g. a ``wake`` of "abc") is reported as a bad file, not as a bug."""
    from fpgasnn.errors import SerializationError
    from fpgasnn.ir.serialize import load

    try:
        return load(path)
    except (ValueError, TypeError, OverflowError) as e:
        raise SerializationError(f"{path}: malformed network ({type(e).__name__}: {e})") from None


def project_network(folder: str | Path):
    """The network of a project folder: the file project.json names (network.snn), no other."""
    import json

    root = Path(folder)
    pj = root / "project.json"
    try:
        doc = json.loads(pj.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"{str(root)!r} is not an fpgasnn project (no project.json); run `fpgasnn build` first"
        ) from None
    except (ValueError, UnicodeDecodeError) as e:
        raise UsageError(f"{pj}: not valid JSON ({e})") from None
    name = doc.get("network", "network.snn") if isinstance(doc, dict) else None
    if not isinstance(name, str) or Path(name).name != name or name in ("", ".", ".."):
        raise UsageError(f"{pj}: 'network' must name a file in the project folder, got {name!r}")
    return doc, load_network(root / name)


def keep_work_dir(keep: bool, prefix: str):
    """A scratch folder for one command: a fresh temporary folder, removed when the ``with`` block
    ends (on success and on failure) unless ``keep``, in which case its path is printed."""
    import contextlib
    import shutil
    import tempfile

    @contextlib.contextmanager
    def scope():
        work = Path(tempfile.mkdtemp(prefix=prefix))
        try:
            yield work
        finally:
            if keep:
                print(f"work folder kept: {work}", flush=True)
            else:
                shutil.rmtree(work, ignore_errors=True)

    return scope()


__all__ = [
    "DATA_HELP",
    "add_data_args",
    "board_name",
    "check_outside",
    "count",
    "fraction",
    "input_file",
    "input_path",
    "keep_work_dir",
    "load_data_images",
    "load_images",
    "load_network",
    "method_name",
    "npz_file",
    "output_dir",
    "output_file",
    "project_dir",
    "project_network",
    "read_npy",
    "simulation_images",
]
