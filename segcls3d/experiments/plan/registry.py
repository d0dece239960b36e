"""nnU-Net dataset ids of the experiment datasets: allocated from a range, recorded in ``datasets.json``.

nnU-Net finds a dataset by its integer id, so every generated dataset of an output folder gets its
own id, kept in ``OUT/datasets.json`` (dataset key -> id, name, settings) so that a resumed run
finds the same datasets again.

Example:
    >>> r = DatasetRegistry(None, first_id=700)
    >>> r.allocate("abc", 3, {}), r.allocate("abc", 3, {}), r.allocate("def", 2, {})
    (700, 700, 701)
    >>> r.name("def")
    'Dataset701_SegClsExp2D'
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Optional

from segcls3d.errors import SegCls3dError
from segcls3d.io import write_json_atomic

REGISTRY_FILENAME = "datasets.json"
FIRST_ID = 500
LAST_ID = 999


class DatasetRegistryError(SegCls3dError):
    """The dataset registry is unreadable, inconsistent with its range, or the range is used up."""


class DatasetRegistry:
    """Dataset key -> nnU-Net id and name; saved after each allocation when ``path`` is given.

    Raises:
        DatasetRegistryError: unreadable file, or an id outside ``first_id..last_id`` requested.
    """

    def __init__(self, path: Optional[Path], first_id: int = FIRST_ID, last_id: int = LAST_ID):
        if not 1 <= first_id <= last_id:
            raise DatasetRegistryError(f"invalid dataset id range {first_id}..{last_id}")
        self.path = Path(path) if path is not None else None
        self.first_id, self.last_id = first_id, last_id
        self.entries: dict[str, dict[str, Any]] = {}
        if self.path is not None and self.path.is_file():
            try:
                data = json.loads(self.path.read_text())
                self.entries = dict(data["datasets"])
            except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
                raise DatasetRegistryError(f"{self.path}: unreadable dataset registry ({exc}); move it away to "
                                           "start over (the datasets it names will then be regenerated)") from None

    @classmethod
    def in_memory_copy(cls, other: "DatasetRegistry") -> "DatasetRegistry":
        """A registry with the same entries that never writes (for ``--dry-run``)."""
        copy = cls(None, other.first_id, other.last_id)
        copy.entries = {k: dict(v) for k, v in other.entries.items()}
        return copy

    def allocate(self, key: str, dim: int, description: Mapping[str, Any]) -> int:
        """Id of dataset ``key``; a new key gets the lowest free id of the range."""
        if key in self.entries:
            return int(self.entries[key]["id"])
        used = {int(e["id"]) for e in self.entries.values()}
        free = next((i for i in range(self.first_id, self.last_id + 1) if i not in used), None)
        if free is None:
            raise DatasetRegistryError(f"no free nnU-Net dataset id left in {self.first_id}..{self.last_id}; "
                                       "use another --out folder or a larger --id-range")
        self.entries[key] = {"id": free, "name": dataset_name(free, dim), "dim": dim, **dict(description)}
        if self.path is not None:
            write_json_atomic(self.path, {"id_range": [self.first_id, self.last_id], "datasets": self.entries})
        return free

    def dataset_id(self, key: str) -> int:
        return int(self.entries[key]["id"])

    def name(self, key: str) -> str:
        return str(self.entries[key]["name"])


def dataset_name(dataset_id: int, dim: int) -> str:
    """nnU-Net dataset folder name of an experiment dataset."""
    return f"Dataset{dataset_id:03d}_SegClsExp{dim}D"
