"""Build plans: generated output as a value, {relative POSIX path: str | bytes}, written in one go.

A plan is validated before anything touches the disk: every path is relative, in POSIX form, with no
empty, ``.`` or ``..`` component, and no path is both a file and a folder. Writing is deterministic:
files are written in sorted order, text as UTF-8 with ``\\n`` line ends, so the same plan always gives
byte-identical files.
"""

from __future__ import annotations

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
            raise PlanError(f"plan entry {path!r} must be str or bytes, got {type(content).__name__}")
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


def write_plan(plan: Mapping[str, str | bytes], outdir: str | Path, force: bool = False) -> list[Path]:
    """Write ``plan`` under ``outdir``; return the written files in sorted order.

    A non-empty ``outdir`` is refused (OutputExistsError) unless ``force``; with ``force`` the plan's
    files are overwritten and other files already there are left alone.
    """
    validate_plan(plan)
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise OutputExistsError(f"{outdir}: exists and is not a folder")
    if outdir.is_dir() and any(outdir.iterdir()) and not force:
        raise OutputExistsError(f"{outdir}: folder is not empty; use --force to overwrite")
    written = []
    for path in sorted(plan):
        target = outdir.joinpath(*path.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        content = plan[path]
        data = content.encode("utf-8") if isinstance(content, str) else content
        target.write_bytes(data)
        written.append(target)
    return written


__all__ = ["OutputExistsError", "Plan", "PlanError", "merge_plans", "validate_plan", "write_plan"]
