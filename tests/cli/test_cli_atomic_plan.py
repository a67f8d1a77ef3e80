"""Atomic outputs: a plan appears whole or not at all; replacing a folder swaps it whole."""

from __future__ import annotations

import os
import stat

import pytest

from fpgasnn.backends.plan import write_file_atomic, write_plan


def _tree(root):
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_new_folder_appears_whole_and_leaves_no_temporaries(tmp_path):
    files = write_plan({"a/b.txt": "1", "c.bin": b"\x02"}, tmp_path / "prj")
    assert [f.relative_to(tmp_path / "prj").as_posix() for f in files] == ["a/b.txt", "c.bin"]
    assert sorted(os.listdir(tmp_path)) == ["prj"]
    mode = stat.S_IMODE((tmp_path / "prj").stat().st_mode)
    assert mode == 0o777 & ~_umask()


def _umask() -> int:
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith("Umask:")).split()[1], 8)


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    from fpgasnn.backends import plan

    real = plan._encoded

    def failing(content):
        if content == b"boom":
            raise OSError(28, "No space left on device")
        return real(content)

    monkeypatch.setattr(plan, "_encoded", failing)
    with pytest.raises(OSError, match="No space left"):
        write_plan({"a.txt": "1", "z.txt": b"boom"}, tmp_path / "prj")
    assert os.listdir(tmp_path) == []
    (tmp_path / "empty").mkdir()
    with pytest.raises(OSError, match="No space left"):
        write_plan({"a.txt": "1", "z.txt": b"boom"}, tmp_path / "empty")
    assert os.listdir(tmp_path / "empty") == []


def test_replace_swaps_the_old_folder_whole_or_keeps_it(tmp_path, monkeypatch):
    from fpgasnn.backends import plan

    out = tmp_path / "prj"
    write_plan({"old_only.txt": "old", "shared.txt": "old"}, out)
    before = _tree(out)
    real = plan._encoded
    monkeypatch.setattr(
        plan,
        "_encoded",
        lambda c: (_ for _ in ()).throw(OSError(13, "denied")) if c == b"boom" else real(c),
    )
    with pytest.raises(OSError, match="denied"):
        write_plan({"shared.txt": "new", "zz.txt": b"boom"}, out, force=True, replace=True)
    assert _tree(out) == before
    assert sorted(os.listdir(tmp_path)) == ["prj"]
    write_plan({"shared.txt": "new"}, out, force=True, replace=True)
    assert _tree(out) == {"shared.txt": b"new"}
    assert sorted(os.listdir(tmp_path)) == ["prj"]


def test_force_without_replace_keeps_other_files(tmp_path):
    out = tmp_path / "w"
    write_plan({"keep.txt": "k", "f.txt": "1"}, out)
    write_plan({"f.txt": "2"}, out, force=True)
    assert _tree(out) == {"f.txt": b"2", "keep.txt": b"k"}


def test_write_file_atomic_replaces_whole_and_cleans_up(tmp_path, monkeypatch):
    p = tmp_path / "r.json"
    write_file_atomic(p, "old")
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        write_file_atomic(p, "new")
    assert p.read_text() == "old"
    assert os.listdir(tmp_path) == ["r.json"]
