"""Atomic writes: write to a temporary name in the target folder, then rename over the target.

The temporary file is created private (``tempfile.mkstemp`` uses mode 0600); before the rename it
gets the mode a plain ``open(path, "w")`` would give, ``0o666 & ~umask``, so that a results folder
shared with a group stays readable by it.
"""
from __future__ import annotations

import functools
import json
import os
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Union

PathLike = Union[str, Path]
TEMP_PREFIX = ".tmp_"  # also used by the conversion runner to find leftovers of killed runs
_UMASK_LOCK = threading.Lock()


def process_umask() -> int:
    """The current umask of this process.

    Read from ``/proc/self/status`` (Linux, thread-safe, follows later ``os.umask`` calls); elsewhere
    set-and-restored once under a lock and remembered.

    Example:
        >>> 0 <= process_umask() <= 0o777
        True
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return _umask_by_setting()


@functools.lru_cache(maxsize=1)
def _umask_by_setting() -> int:
    with _UMASK_LOCK:  # os.umask can only be read by setting it; restore at once
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def file_mode() -> int:
    """Mode of a newly created regular file under the current umask: ``0o666 & ~umask``."""
    return 0o666 & ~process_umask()


@contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it is renamed to ``path``.

    The temporary name keeps the full suffix (``.nii.gz``, ``.png``) so that writers which pick
    a format from the file name still work. On any exception the temporary file is removed. The
    final file has mode ``0o666 & ~umask`` (see :func:`file_mode`), as with a plain ``open``.

    Example:
        >>> import SimpleITK as sitk  # doctest: +SKIP
        >>> with atomic_path("out/case.nii.gz") as tmp:  # doctest: +SKIP
        ...     sitk.WriteImage(image, str(tmp))
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    name = path.name
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix="_" + name, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text_atomic(path: PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def write_json_atomic(path: PathLike, data: Any, indent: int = 2) -> Path:
    """Write ``data`` as JSON to ``path`` atomically and return the path."""
    return write_text_atomic(path, json.dumps(data, indent=indent, sort_keys=False, default=_json_default) + "\n")


def _json_default(obj: Any) -> Any:
    try:
        import numpy as np

        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")
