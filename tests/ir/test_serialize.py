"""The .snn format: exact, deterministic round trip; every bad file raises SerializationError."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from fpgasnn.errors import SerializationError
from fpgasnn.ir import Schedule, annotate_widths, examples, load, networks_equal, save
from fpgasnn.ir.serialize import dumps, loads


@pytest.mark.parametrize("seed", range(8))
def test_round_trip_is_exact(tmp_path, seed):
    net = annotate_widths(
        examples.random_network(seed, schedule=Schedule(3, 2, 1), per_neuron_v0=True)
    )
    net = net.with_meta(source="test", settings={"T": 3, "method": "cos"})
    path = save(net, tmp_path / "n.snn")
    back = load(path)
    assert networks_equal(net, back)
    assert dumps(back) == dumps(net)  # deterministic bytes


def test_round_trip_detects_differences():
    a = examples.random_network(1)
    b = examples.random_network(2)
    assert not networks_equal(a, b)


def _doc_zip(doc: dict, extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("network.json", json.dumps(doc))
        for k, v in (extra or {}).items():
            zf.writestr(k, v)
    return buf.getvalue()


def _valid_doc() -> tuple[dict, dict[str, bytes]]:
    data = dumps(examples.tiny())
    zf = zipfile.ZipFile(io.BytesIO(data))
    doc = json.loads(zf.read("network.json"))
    arrays = {n: zf.read(n) for n in zf.namelist() if n != "network.json"}
    return doc, arrays


def test_not_a_zip(tmp_path):
    p = tmp_path / "x.snn"
    p.write_text("hello")
    with pytest.raises(
        SerializationError, match=r"x.snn: not an fpgasnn .snn file \(not a zip archive"
    ):
        load(p)


def test_truncated(tmp_path):
    p = tmp_path / "t.snn"
    p.write_bytes(dumps(examples.tiny())[:300])
    with pytest.raises(SerializationError, match=r"t.snn: "):
        load(p)


def test_foreign_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("model.onnx", b"x")
    with pytest.raises(
        SerializationError, match=r"not an fpgasnn .snn file \(no network.json inside\)"
    ):
        loads(buf.getvalue())


def test_wrong_format_and_version():
    doc, arrays = _valid_doc()
    with pytest.raises(SerializationError, match="format is 'onnx', expected 'fpgasnn-snn'"):
        loads(_doc_zip({**doc, "format": "onnx"}, arrays))
    with pytest.raises(SerializationError, match="format version 99 is not supported"):
        loads(_doc_zip({**doc, "version": 99}, arrays))


def test_missing_and_corrupt_array_names_the_layer():
    doc, arrays = _valid_doc()
    key = doc["layers"][1]["weight"]["array"]
    missing = {k: v for k, v in arrays.items() if k != key}
    with pytest.raises(SerializationError, match=f"layer 'conv1': array '{key}' is missing"):
        loads(_doc_zip(doc, missing))
    with pytest.raises(SerializationError, match=f"layer 'conv1': array '{key}' is corrupt"):
        loads(_doc_zip(doc, {**arrays, key: b"garbage"}))


def test_invalid_network_inside_names_the_layer():
    doc, arrays = _valid_doc()
    doc["layers"][2]["theta"] = -1
    with pytest.raises(
        SerializationError, match="layer 'sn1': threshold must be a positive integer"
    ):
        loads(_doc_zip(doc, arrays))
    doc, arrays = _valid_doc()
    doc["layers"][1]["op"] = "lstm"
    with pytest.raises(SerializationError, match="layer 'conv1' has unknown op 'lstm'"):
        loads(_doc_zip(doc, arrays))


def test_missing_file(tmp_path):
    with pytest.raises(SerializationError, match="no such file"):
        load(tmp_path / "nope.snn")


def test_float_array_rejected():
    doc, arrays = _valid_doc()
    key = doc["layers"][1]["weight"]["array"]
    b = io.BytesIO()
    np.save(b, np.full((4, 1, 3, 3), 0.5))
    with pytest.raises(SerializationError, match="layer 'conv1': weights must be integers"):
        loads(_doc_zip(doc, {**arrays, key: b.getvalue()}))
