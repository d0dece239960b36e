"""Removing the temporary files that a killed conversion leaves in its output folder.

A conversion writes every file through :func:`segcls3d.io.atomic_path` (``.tmp_<random>_<name>``
next to the target, renamed when complete) and the 2D converter keeps its case table in
``.cases2d_<random>.pkl``. After a SIGKILL (out of memory, a cluster time limit) those names stay;
a re-run removes them before it starts writing. Only files with these names and older than the
start of the run are touched, and only when no other process of the same conversion can be
writing (a run without ``--shard``, or ``--merge`` after all shards finished).

Example:
    >>> import tempfile, time
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / ".tmp_abc_case.nii.gz").write_bytes(b"partial")
    >>> remove_leftovers(folder, started=time.time() + 1)
    1
"""
from __future__ import annotations

import fnmatch
import logging
import os
import time
from pathlib import Path
from typing import Optional

from segcls3d.io.atomic import TEMP_PREFIX

logger = logging.getLogger(__name__)

CASE_TABLE_PREFIX = ".cases2d_"
CASE_TABLE_SUFFIX = ".pkl"
#: file-name patterns of our own temporary files (atomic writes, the 2D converter's case table)
LEFTOVER_PATTERNS: tuple[str, ...] = (f"{TEMP_PREFIX}*", f"{CASE_TABLE_PREFIX}*{CASE_TABLE_SUFFIX}")


def find_leftovers(out_dir: Path, started: float) -> list[Path]:
    """Files under ``out_dir`` named like our temporary files and last modified before ``started``."""
    found: list[Path] = []
    for root, _, files in os.walk(out_dir):
        for name in files:
            if not any(fnmatch.fnmatchcase(name, pattern) for pattern in LEFTOVER_PATTERNS):
                continue
            path = Path(root) / name
            try:
                if path.lstat().st_mtime < started and not path.is_symlink():
                    found.append(path)
            except FileNotFoundError:  # removed meanwhile
                continue
    return sorted(found)


def remove_leftovers(out_dir: Path, started: Optional[float] = None) -> int:
    """Delete our temporary files older than ``started`` (default: now) under ``out_dir``; log and return how many.

    Files that cannot be removed are logged as warnings and otherwise ignored.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return 0
    leftovers = find_leftovers(out_dir, time.time() if started is None else started)
    removed = 0
    for path in leftovers:
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
        except OSError as exc:
            logger.warning("cannot remove leftover temporary file %s (%s)", path, exc)
    if removed:
        logger.info("removed %d temporary file(s) left in %s by an interrupted run", removed, out_dir)
    else:
        logger.debug("no temporary files of an interrupted run in %s", out_dir)
    return removed
