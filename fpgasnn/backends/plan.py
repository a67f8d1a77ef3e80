"""Build plans: generated output as a value, {relative POSIX path: str | bytes}, written in one go.

A plan is validated before anything touches the disk: every path is relative, in POSIX form, with no
empty, ``.`` or ``..`` component, and no path is both a file and a folder. Writing is deterministic:
files are written in sorted order, text as UTF-8 with ``\\n`` line ends, so the same plan always gives
byte-identical files.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from fpgasnn.errors import BackendError

Plan = dict[str, str | bytes]


class PlanError(BackendError):
    """A build plan is malformed (bad path, clashing entries)."""


class OutputExistsError(BackendError):
    """The output folder is not empty and overwriting was not allowed."""


def _check_path(path: str) -> None:
    if not isinstance(path, str) or not path:
        raise PlanError(f"plan path must be a non-empty string, got {path!r}")
    if "\\" in path or path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        raise PlanError(f"plan path {path!r} must be a relative POSIX path")
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise PlanError(f"plan path {path!r} must not contain empty, '.' or '..' components")


def validate_plan(plan: Mapping[str, str | bytes]) -> None:
    """Raise PlanError if any path is not a clean relative path or a file path is also a folder."""
    for path, content in plan.items():
        _check_path(path)
        if not isinstance(content, (str, bytes)):
            raise PlanError(
                f"plan entry {path!r} must be str or bytes, got {type(content).__name__}"
            )
    folders = {str(p) for path in plan for p in PurePosixPath(path).parents}
    clash = sorted(folders & set(plan))
    if clash:
        raise PlanError(f"plan paths used both as a file and as a folder: {clash}")


def merge_plans(*plans: Mapping[str, str | bytes]) -> Plan:
    """Union of plans; the same path in two plans is an error (each back end owns its files)."""
    out: Plan = {}
    for plan in plans:
        for path, content in plan.items():
            if path in out:
                raise PlanError(f"two plans both write {path!r}")
            out[path] = content
    validate_plan(out)
    return out


def _encoded(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def write_file_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` (str as UTF-8) to ``path`` through a temporary file in the same folder and a
    rename: afterwards ``path`` holds either its old content or the whole new one, never a part."""
    path = Path(path)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.part"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # umask applies, as in open()
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_encoded(data))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def _write_tree(plan: Mapping[str, str | bytes], root: Path) -> list[Path]:
    written = []
    for path in sorted(plan):
        target = root.joinpath(*path.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_encoded(plan[path]))
        written.append(target)
    return written


def _sibling_name(outdir: Path, tag: str) -> Path:
    return outdir.parent / f".{outdir.name}.{tag}-{secrets.token_hex(4)}"


def _swap_in(staged: Path, outdir: Path) -> None:
    """Move the finished folder ``staged`` to ``outdir``; an old ``outdir`` is moved aside first,
    put back if the move fails, and deleted only once the new folder is in place."""
    if not outdir.exists():
        os.rename(staged, outdir)
        return
    old = _sibling_name(outdir, "old")
    os.rename(outdir, old)
    try:
        os.rename(staged, outdir)
    except BaseException:
        os.rename(old, outdir)
        raise
    shutil.rmtree(old, ignore_errors=True)


def write_plan(
    plan: Mapping[str, str | bytes],
    outdir: str | Path,
    force: bool = False,
    *,
    replace: bool = False,
) -> list[Path]:
    """Write ``plan`` under ``outdir``; return the written files (paths under ``outdir``), sorted.

    Nothing half-written: the plan is written into a temporary folder beside ``outdir`` and renamed
    into place when complete, so a failure (or an interrupt) leaves no trace and ``outdir`` as it
    was.

    A non-empty ``outdir`` is refused (OutputExistsError) unless ``force``. With ``force`` and
    ``replace``, the old folder is replaced whole (files the plan does not name disappear with it);
    with ``force`` alone, the plan's files are written into it one by one, each replaced atomically,
    and other files there are left alone. An existing empty folder is filled in place and emptied
    again if anything fails.
    """
    validate_plan(plan)
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise OutputExistsError(f"{outdir}: exists and is not a folder")
    nonempty = outdir.is_dir() and any(outdir.iterdir())
    if nonempty and not force:
        raise OutputExistsError(f"{outdir}: folder is not empty; use --force to overwrite")
    if nonempty and not replace:
        written = []
        for path in sorted(plan):
            target = outdir.joinpath(*path.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            written.append(write_file_atomic(target, plan[path]))
        return written
    if outdir.is_dir() and not nonempty:
        # an empty folder (perhaps the current one) is filled in place, and emptied again on failure
        try:
            return _write_tree(plan, outdir)
        except BaseException:
            for child in outdir.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
            raise
    outdir.parent.mkdir(parents=True, exist_ok=True)
    staged = _sibling_name(outdir.absolute(), "new")
    os.mkdir(staged)  # not mkdtemp: the project folder gets the usual permissions (umask)
    try:
        _write_tree(plan, staged)
        _swap_in(staged, outdir.absolute())
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return [outdir.joinpath(*path.split("/")) for path in sorted(plan)]


__all__ = [
    "OutputExistsError",
    "Plan",
    "PlanError",
    "merge_plans",
    "validate_plan",
    "write_file_atomic",
    "write_plan",
]
