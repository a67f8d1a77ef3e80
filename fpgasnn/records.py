"""Result records as flat JSON: a list of dicts whose values are numbers, strings, booleans or null.

Benchmarks (``bench/results/NAME.json``) and ``fpgasnn evaluate --json`` write their results this way, so
any tool (pandas, jq, a spreadsheet) reads them without knowing the nesting. :func:`flat_record` turns the
nested dicts our code builds into that form; the rules are fixed so the key names are predictable:

- a nested dict ``{"how": {"top1_pct": s}}`` becomes ``"how.top1_pct": s``;
- a list of dicts that each carry a ``name`` or ``layer`` key (per-layer figures) becomes
  ``"layers.conv1.spike_rate"``, ... keyed by that name;
- a list of scalars becomes one string joined by ``/`` (e.g. per-layer lanes ``"16/32/64/16"``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from fpgasnn.errors import FpgasnnError

Scalar = (str, int, float, bool, type(None))


def flat_record(rec: dict, prefix: str = "") -> dict:
    """``rec`` flattened by the rules of the module docstring (a new dict, key order kept)."""
    out: dict = {}
    for key, value in rec.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flat_record(value, f"{name}."))
        elif isinstance(value, (list, tuple)):
            out.update(_flat_list(name, value))
        elif hasattr(value, "item") and not isinstance(value, Scalar):  # NumPy scalar
            out[name] = value.item()
        elif isinstance(value, Scalar):
            out[name] = value
        else:
            raise FpgasnnError(
                f"record key {name!r}: cannot store a {type(value).__name__} in a flat record"
            )
    return out


def _flat_list(name: str, items) -> dict:
    if all(isinstance(v, dict) for v in items) and items:
        ids = [v.get("name", v.get("layer")) for v in items]
        if None in ids or len(set(ids)) != len(ids):
            raise FpgasnnError(
                f"record key {name!r}: a list of dicts needs a unique 'name' or 'layer' in each"
            )
        out: dict = {}
        for ident, v in zip(ids, items, strict=False):
            out.update(
                flat_record(
                    {k: x for k, x in v.items() if k not in ("name", "layer")}, f"{name}.{ident}."
                )
            )
        return out
    if all(isinstance(v, Scalar) or hasattr(v, "item") for v in items):
        return {name: "/".join(str(v.item() if hasattr(v, "item") else v) for v in items)}
    raise FpgasnnError(f"record key {name!r}: a list mixing dicts and values cannot be flattened")


def check_flat(records) -> None:
    """Raise :class:`FpgasnnError` unless ``records`` is a list of flat, JSON-finite dicts."""
    if not isinstance(records, list):
        raise FpgasnnError(f"results must be a list of records, got {type(records).__name__}")
    for i, r in enumerate(records):
        if not isinstance(r, dict):
            raise FpgasnnError(f"record {i}: expected a dict, got {type(r).__name__}")
        for k, v in r.items():
            if not isinstance(v, Scalar):
                raise FpgasnnError(f"record {i} key {k!r}: {type(v).__name__} is not a flat value")
            if isinstance(v, float) and not math.isfinite(v):
                raise FpgasnnError(f"record {i} key {k!r}: {v} is not a finite number")


def write_records(path: str | Path, records: list[dict]) -> Path:
    """Flatten ``records`` and write them as a JSON list (sorted keys: deterministic output)."""
    flat = [flat_record(r) for r in records]
    check_flat(flat)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(flat, indent=1, sort_keys=True) + "\n")
    return path


def read_records(path: str | Path) -> list[dict]:
    """The records of a file written by :func:`write_records` (checked flat)."""
    try:
        recs = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise FpgasnnError(f"{path}: cannot read records: {e}") from None
    try:
        check_flat(recs)
    except FpgasnnError as e:
        raise FpgasnnError(f"{path}: {e}") from None
    return recs
