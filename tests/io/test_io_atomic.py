"""Atomic writes keep the file mode a plain open() would give (umask respected, not 0600)."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from segcls3d.io import atomic_path, write_json_atomic, write_text_atomic
from segcls3d.io.atomic import process_umask


@pytest.fixture
def umask():
    """Set a umask for one test and restore the previous one afterwards."""
    previous = os.umask(0o022)
    os.umask(previous)

    def set_mask(mask: int) -> None:
        os.umask(mask)

    yield set_mask
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_file_mode_follows_umask(tmp_path, umask, mask, expected):
    umask(mask)
    assert process_umask() == mask
    assert _mode(write_text_atomic(tmp_path / "a.txt", "x")) == expected
    assert _mode(write_json_atomic(tmp_path / "b.json", {"a": 1})) == expected
    with atomic_path(tmp_path / "c.nii.gz") as tmp:
        tmp.write_bytes(b"data")  # a writer that reopens the (0600) temp file keeps its mode
    assert _mode(tmp_path / "c.nii.gz") == expected


def test_overwrite_gets_umask_mode_and_no_temp_left(tmp_path, umask):
    umask(0o022)
    target = tmp_path / "r.json"
    target.write_text("old")
    target.chmod(0o600)
    write_json_atomic(target, [1])
    assert _mode(target) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_path(tmp_path / "x.txt") as tmp:
            tmp.write_text("partial")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
