"""The .snn file: one zip archive holding ``network.json`` (format, version, schedule, layers, metadata)
and one ``.npy`` member per integer array. Writing is deterministic (fixed member order and timestamps)
and loading is an exact round trip.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from fpgasnn.errors import FpgasnnError, SerializationError
from fpgasnn.ir.network import Network
from fpgasnn.ir.nodes import OP_NAMES, OP_TYPES, NeuronKind, Schedule

FORMAT = "fpgasnn-snn"
VERSION = 1
_STAMP = (1980, 1, 1, 0, 0, 0)


def _encode(net: Network) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    arrays: dict[str, np.ndarray] = {}
    layers = []
    for i, n in enumerate(net.nodes):
        entry: dict[str, Any] = {"op": OP_NAMES[type(n)]}
        for f in n.__dataclass_fields__:
            val = getattr(n, f)
            if isinstance(val, np.ndarray):
                key = f"arrays/{i:03d}_{f}.npy"
                arrays[key] = val
                entry[f] = {"array": key}
            elif isinstance(val, NeuronKind):
                entry[f] = val.value
            elif isinstance(val, tuple):
                entry[f] = list(val)
            else:
                entry[f] = val
        layers.append(entry)
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "schedule": {
            "wake": net.schedule.wake,
            "presim": net.schedule.presim,
            "sleep": net.schedule.sleep,
        },
        "meta": net.meta,
        "layers": layers,
    }
    return doc, arrays


def dumps(net: Network) -> bytes:
    doc, arrays = _encode(net)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo("network.json", date_time=_STAMP)
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, json.dumps(doc, indent=1, sort_keys=True))
        for key in sorted(arrays):
            b = io.BytesIO()
            np.save(b, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(key, date_time=_STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, b.getvalue())
    return buf.getvalue()


def save(net: Network, path: str | Path) -> Path:
    """Write ``net`` to ``path`` (conventionally ``*.snn``)."""
    path = Path(path)
    path.write_bytes(dumps(net))
    return path


def loads(data: bytes, source: str = "<bytes>") -> Network:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise SerializationError(
            f"{source}: not an fpgasnn .snn file (not a zip archive; truncated or foreign file)"
        ) from None
    with zf:
        names = set(zf.namelist())
        if "network.json" not in names:
            raise SerializationError(f"{source}: not an fpgasnn .snn file (no network.json inside)")
        try:
            doc = json.loads(zf.read("network.json"))
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as e:
            raise SerializationError(f"{source}: network.json is corrupt: {e}") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise SerializationError(
                f"{source}: format is {doc.get('format') if isinstance(doc, dict) else None!r}, "
                f"expected {FORMAT!r}"
            )
        if doc.get("version") != VERSION:
            raise SerializationError(
                f"{source}: format version {doc.get('version')!r} is not supported (this fpgasnn reads "
                f"version {VERSION})"
            )

        def array(key: str, layer: str) -> np.ndarray:
            if key not in names:
                raise SerializationError(f"{source}: layer {layer!r}: array {key!r} is missing")
            try:
                return np.load(io.BytesIO(zf.read(key)), allow_pickle=False)
            except (zipfile.BadZipFile, ValueError, OSError, EOFError) as e:
                raise SerializationError(
                    f"{source}: layer {layer!r}: array {key!r} is corrupt: {e}"
                ) from None

        try:
            nodes = []
            for entry in doc["layers"]:
                entry = dict(entry)
                op = entry.pop("op")
                if op not in OP_TYPES:
                    raise SerializationError(
                        f"{source}: layer {entry.get('name')!r} has unknown op {op!r}"
                    )
                kwargs = {}
                for k, val in entry.items():
                    if isinstance(val, dict) and set(val) == {"array"}:
                        val = array(val["array"], entry.get("name", "?"))
                    elif isinstance(val, list):
                        val = tuple(val)
                    kwargs[k] = val
                try:
                    nodes.append(OP_TYPES[op](**kwargs))
                except TypeError as e:
                    raise SerializationError(
                        f"{source}: layer {entry.get('name')!r} ({op}) has bad attributes: {e}"
                    ) from None
            sched = Schedule(**doc["schedule"])
            return Network(tuple(nodes), sched, doc.get("meta", {}))
        except SerializationError:
            raise
        except FpgasnnError as e:
            raise SerializationError(f"{source}: invalid network: {e}") from None
        except (KeyError, TypeError, AttributeError) as e:
            raise SerializationError(
                f"{source}: malformed network.json ({type(e).__name__}: {e})"
            ) from None


def load(path: str | Path) -> Network:
    """Read a network written by :func:`save`; raises SerializationError on any bad file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SerializationError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SerializationError(f"{path}: is a directory, expected a .snn file") from None
    return loads(data, str(path))
