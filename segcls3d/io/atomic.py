"""Atomic writes: write to a temporary name in the target folder, then rename over the target."""
from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Union

PathLike = Union[str, Path]


@contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it is renamed to ``path``.

    The temporary name keeps the full suffix (``.nii.gz``, ``.png``) so that writers which pick
    a format from the file name still work. On any exception the temporary file is removed.

    Example:
        >>> import SimpleITK as sitk  # doctest: +SKIP
        >>> with atomic_path("out/case.nii.gz") as tmp:  # doctest: +SKIP
        ...     sitk.WriteImage(image, str(tmp))
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    name = path.name
    fd, tmp_name = tempfile.mkstemp(prefix=".tmp_", suffix="_" + name, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
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
