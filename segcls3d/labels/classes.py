"""Which image-level classes a dataset has, and which segmentation labels make up each class.

By default every foreground label of dataset.json is one class of the same name. An optional
block in dataset.json overrides that::

    "segcls3d": {"classes": {"fracture": [1, 2], "patient_overall": [1, 2, 3]}}

A class with an empty list is classification-only (no mask can explain it).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Union

from segcls3d.errors import LabelFileError

PathLike = Union[str, Path]


@dataclass(frozen=True)
class ClassDefinition:
    """One image-level class and the segmentation label ids (or region names) behind it."""

    name: str
    label_ids: tuple[int, ...]

    def to_json(self) -> list[int]:
        return list(self.label_ids)


def _label_value_ids(value: Any) -> tuple[int, ...]:
    """dataset.json label values are ints, or lists of ints for region-based training."""
    if isinstance(value, (list, tuple)):
        return tuple(int(v) for v in value)
    return (int(value),)


def class_definitions(dataset_json: Mapping[str, Any], source: str = "dataset.json") -> list[ClassDefinition]:
    """Return the classes of a dataset in a stable order.

    Raises:
        LabelFileError: the ``segcls3d.classes`` block names label ids that dataset.json lacks,
            or is not a mapping of class name to a list of ids.
    """
    labels = dataset_json.get("labels")
    if not isinstance(labels, Mapping) or not labels:
        raise LabelFileError(f"{source}: has no 'labels' mapping")
    ignore_ids: set[int] = set()
    foreground: dict[str, tuple[int, ...]] = {}
    for name, value in labels.items():
        try:
            ids = _label_value_ids(value)
        except (TypeError, ValueError):
            raise LabelFileError(f"{source}: label '{name}' has value {value!r}; expected an integer id "
                                 "or a list of ids (region)") from None
        if name == "ignore":
            ignore_ids = set(ids)
            continue
        if name == "background" or ids == (0,):
            continue
        foreground[name] = ids
    known_ids = {i for ids in foreground.values() for i in ids}

    block = dataset_json.get("segcls3d", {}) or {}
    if not isinstance(block, Mapping):
        raise LabelFileError(f"{source}: 'segcls3d' must be an object")
    explicit = block.get("classes")
    if explicit is None:
        return [ClassDefinition(name, ids) for name, ids in foreground.items()]
    if not isinstance(explicit, Mapping) or not explicit:
        raise LabelFileError(f"{source}: 'segcls3d.classes' must map class names to lists of label ids")
    result = []
    for name, ids in explicit.items():
        if not isinstance(ids, (list, tuple)) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise LabelFileError(f"{source}: class '{name}' in 'segcls3d.classes' must be a list of integer label ids")
        bad = [i for i in ids if i not in known_ids or i in ignore_ids]
        if bad:
            raise LabelFileError(
                f"{source}: class '{name}' refers to label id(s) {bad} that are not foreground labels "
                f"of 'labels' (known: {sorted(known_ids)})"
            )
        result.append(ClassDefinition(str(name), tuple(int(i) for i in ids)))
    return result


def load_class_definitions(dataset_json_path: PathLike) -> list[ClassDefinition]:
    """Read dataset.json from disk and return its class definitions."""
    path = Path(dataset_json_path)
    if not path.is_file():
        raise LabelFileError(f"{path}: dataset.json not found")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise LabelFileError(f"{path}: not valid JSON ({exc})") from None
    return class_definitions(data, source=str(path))
