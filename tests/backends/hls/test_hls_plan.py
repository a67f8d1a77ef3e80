"""Build plans: path validation, merging, deterministic writing, refusal to overwrite."""

from __future__ import annotations

import pytest

from fpgasnn.backends.plan import (
    OutputExistsError,
    PlanError,
    merge_plans,
    validate_plan,
    write_plan,
)
from fpgasnn.errors import BackendError


@pytest.mark.parametrize(
    "path", ["/abs/file", "../up", "a/../b", "a//b", "./a", "a\\b", "C:/x", ""]
)
def test_bad_paths_are_rejected(path):
    with pytest.raises(PlanError, match="plan path"):
        validate_plan({path: "x"})


def test_file_and_folder_clash():
    with pytest.raises(PlanError, match=r"both as a file and as a folder: \['a'\]"):
        validate_plan({"a": "x", "a/b": "y"})


def test_merge_refuses_duplicates():
    assert merge_plans({"a": "1"}, {"b/c": b"2"}) == {"a": "1", "b/c": b"2"}
    with pytest.raises(PlanError, match="two plans both write 'a'"):
        merge_plans({"a": "1"}, {"a": "2"})


def test_write_plan_and_refusal(tmp_path):
    out = tmp_path / "prj"
    files = write_plan({"b/x.txt": "héllo\n", "a.bin": b"\x00\x01"}, out)
    assert [f.relative_to(out).as_posix() for f in files] == ["a.bin", "b/x.txt"]
    assert (out / "b" / "x.txt").read_bytes() == "héllo\n".encode()
    assert (out / "a.bin").read_bytes() == b"\x00\x01"
    with pytest.raises(OutputExistsError, match="folder is not empty; use --force") as e:
        write_plan({"c": "1"}, out)
    assert isinstance(e.value, BackendError)
    assert not (out / "c").exists()
    write_plan({"b/x.txt": "new"}, out, force=True)
    assert (out / "b" / "x.txt").read_text() == "new"
    assert (out / "a.bin").exists()


def test_write_into_empty_existing_folder(tmp_path):
    write_plan({"f": "1"}, tmp_path)
    assert (tmp_path / "f").read_text() == "1"
