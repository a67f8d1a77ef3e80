"""The sweep's disk cache: one JSON file per finished task, named by the task's key.

A key is ``KIND-<sha256 of the task's settings>``: the kind (convert, evaluate, ...), the cache format
version, a digest of fpgasnn's code, the model file's sha256 and every setting the task's result depends on (the keys of its inputs
included, so a key names the whole chain that produced it). Files are written whole or not at all (a
temporary file and a rename), so a sweep killed at any moment leaves only finished results behind and a
rerun recomputes exactly the tasks without a file. Failed tasks are never cached.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from fpgasnn.backends.plan import write_file_atomic

CACHE_VERSION = 1
"""Bumped when a task's result format changes: old files are then simply not found."""


CODE_SUFFIXES = (".py", ".v", ".sv", ".j2")


@functools.cache
def code_digest() -> str:
    """sha256 of fpgasnn's own code (its Python, Verilog and templates): results computed by other
    code (another version, an edited tree) are not reused."""
    import fpgasnn

    root = Path(fpgasnn.__file__).resolve().parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.suffix in CODE_SUFFIXES and "__pycache__" not in p.parts and p.is_file():
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def task_key(kind: str, settings: dict) -> str:
    """``KIND-<20 hex digits>``, a pure function of ``kind``, ``settings`` (JSON-able values) and
    :func:`code_digest`."""
    text = json.dumps(
        {"kind": kind, "v": CACHE_VERSION, "code": code_digest(), **settings}, sort_keys=True
    )
    return f"{kind}-{hashlib.sha256(text.encode()).hexdigest()[:20]}"


def cache_path(cache_dir: str | Path, key: str) -> Path:
    return Path(cache_dir) / f"{key}.json"


def read_cached(cache_dir: str | Path | None, key: str) -> dict | None:
    """The cached value of ``key``, or None (no cache folder, no file, or a file that does not read)."""
    if cache_dir is None:
        return None
    path = cache_path(cache_dir, key)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("key") != key:
        return None
    return doc.get("value")


def write_cached(cache_dir: str | Path | None, key: str, value: dict) -> None:
    if cache_dir is None:
        return
    folder = Path(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"key": key, "value": value}, sort_keys=True)
    write_file_atomic(cache_path(folder, key), text + "\n")


def cached_keys(cache_dir: str | Path) -> set[str]:
    """Keys of the finished tasks in ``cache_dir``."""
    folder = Path(cache_dir)
    if not folder.is_dir():
        return set()
    return {p.name[: -len(".json")] for p in folder.glob("*.json")}


__all__ = ["CACHE_VERSION", "cache_path", "cached_keys", "read_cached", "task_key", "write_cached"]
