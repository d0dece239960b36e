"""CaseLabels: the one place that reads and validates classification_labels.csv.

Format: a ``case_id`` column, then one column per image-level class with values 0, 1 or empty
(empty = unknown). Trainers, predict/evaluate, pseudo-labelling and converters all go through
this class so that every user error is reported the same way: the file, the case, what is wrong.
"""
from __future__ import annotations

import csv
import json
import logging
import math
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence, Union

import numpy as np

from segcls3d.errors import LabelFileError
from segcls3d.io import atomic_path
from segcls3d.labels.classes import load_class_definitions
from segcls3d.labels.values import parse_label_value

PathLike = Union[str, Path]
LABELS_FILENAME = "classification_labels.csv"
CASE_ID_COLUMN = "case_id"

logger = logging.getLogger(__name__)


class CaseLabels:
    """Image-level labels per case: ``labels[case_id] -> float array`` (NaN = unknown).

    Example:
        >>> labels = CaseLabels({"a": [1.0], "b": [float("nan")]}, classes=["lesion"])
        >>> labels.batch(["b", "a"]).tolist()
        [[nan], [1.0]]
    """

    def __init__(self, table: Mapping[str, Sequence[float]], classes: Sequence[str], source: str = "<memory>"):
        self.classes: list[str] = list(classes)
        self.source = source
        self._table: dict[str, np.ndarray] = {
            str(k): np.asarray(v, dtype=np.float32).reshape(len(self.classes)) for k, v in table.items()
        }

    # ------------------------------------------------------------------ reading
    @classmethod
    def load(
        cls,
        csv_path: PathLike,
        classes: Sequence[str],
        known_cases: Optional[Iterable[str]] = None,
        required_cases: Optional[Iterable[str]] = None,
    ) -> "CaseLabels":
        """Read and validate a labels CSV.

        Args:
            csv_path: the CSV file.
            classes: class names that must appear as columns (other columns are ignored with a warning).
            known_cases: every case id the dataset has; a row with any other id is an error.
            required_cases: case ids that must have a row (e.g. all training cases).

        Raises:
            LabelFileError: missing file or column, duplicated or unknown case id, missing case,
                or a value other than 0/1/empty. The message names the file, line and case.
        """
        path = Path(csv_path)
        if not path.is_file():
            raise LabelFileError(f"{path}: labels file not found (expected a CSV with '{CASE_ID_COLUMN}' "
                                 "and one column per class)")
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                rows = list(csv.reader(handle))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise LabelFileError(f"{path}: cannot be read as CSV ({exc})") from None
        rows = [r for r in rows if any(cell.strip() for cell in r)]
        if not rows:
            raise LabelFileError(f"{path}: file is empty")
        header = [h.strip() for h in rows[0]]
        if CASE_ID_COLUMN not in header:
            raise LabelFileError(f"{path}: no '{CASE_ID_COLUMN}' column (header is {header})")
        if len(set(header)) != len(header):
            dupes = sorted({h for h in header if header.count(h) > 1})
            raise LabelFileError(f"{path}: duplicated column(s) {dupes}")
        missing_cols = [c for c in classes if c not in header]
        if missing_cols:
            raise LabelFileError(
                f"{path}: missing column(s) for class(es) {missing_cols}; header is {header}. "
                "Each image-level class of dataset.json needs a column."
            )
        extra = [h for h in header if h != CASE_ID_COLUMN and h not in classes]
        if extra:
            logger.warning("%s: ignoring column(s) %s that are not classes of this dataset", path, extra)
        id_col = header.index(CASE_ID_COLUMN)
        class_cols = [header.index(c) for c in classes]

        table: dict[str, list[float]] = {}
        for line_no, row in enumerate(rows[1:], start=2):
            row = row + [""] * (len(header) - len(row))
            case_id = row[id_col].strip()
            if not case_id:
                raise LabelFileError(f"{path}, line {line_no}: empty case_id")
            if case_id in table:
                raise LabelFileError(f"{path}, line {line_no}: case '{case_id}' appears more than once")
            values = []
            for name, col in zip(classes, class_cols):
                try:
                    value = parse_label_value(row[col])
                except ValueError:
                    raise LabelFileError(
                        f"{path}, line {line_no}: case '{case_id}', class '{name}' has value {row[col]!r}; "
                        "allowed are 0, 1 or empty (unknown)"
                    ) from None
                values.append(math.nan if value is None else value)
            table[case_id] = values

        if known_cases is not None:
            known = set(known_cases)
            unknown = sorted(set(table) - known)
            if unknown:
                raise LabelFileError(
                    f"{path}: case id(s) not in the dataset: {_preview(unknown)} "
                    "(check for typos or cases that were removed from imagesTr/imagesTs)"
                )
        if required_cases is not None:
            missing = sorted(set(required_cases) - set(table))
            if missing:
                raise LabelFileError(
                    f"{path}: no row for case(s) {_preview(missing)}; every training case needs a row "
                    "(leave class cells empty if unknown)"
                )
        return cls(table, classes, source=str(path))

    @classmethod
    def from_raw_dataset(cls, raw_dataset_folder: PathLike, classes: Optional[Sequence[str]] = None) -> "CaseLabels":
        """Load ``classification_labels.csv`` of an nnU-Net raw dataset, validated against its cases."""
        folder = Path(raw_dataset_folder)
        if classes is None:
            classes = [c.name for c in load_class_definitions(folder / "dataset.json")]
        train_cases = raw_case_ids(folder, "imagesTr")
        test_cases = raw_case_ids(folder, "imagesTs")
        return cls.load(
            folder / LABELS_FILENAME,
            classes,
            known_cases=train_cases | test_cases,
            required_cases=train_cases,
        )

    # ------------------------------------------------------------------ access
    def __contains__(self, case_id: object) -> bool:
        return case_id in self._table

    def __len__(self) -> int:
        return len(self._table)

    def __getitem__(self, case_id: str) -> np.ndarray:
        try:
            return self._table[case_id]
        except KeyError:
            raise LabelFileError(f"{self.source}: no labels for case '{case_id}'") from None

    @property
    def case_ids(self) -> list[str]:
        return list(self._table)

    def get(self, case_id: str) -> np.ndarray:
        """Labels of a case, all-unknown (NaN) if the case has no row."""
        return self._table.get(case_id, np.full(len(self.classes), np.nan, dtype=np.float32))

    def batch(self, case_ids: Sequence[str]) -> np.ndarray:
        """Labels for the cases of a batch, shape (len(case_ids), n_classes); missing rows are NaN."""
        if not len(case_ids):
            return np.zeros((0, len(self.classes)), dtype=np.float32)
        return np.stack([self.get(str(c)) for c in case_ids])

    def column(self, name: str) -> dict[str, float]:
        """Labels of one class as ``{case_id: value}``."""
        index = self.classes.index(name)
        return {k: float(v[index]) for k, v in self._table.items()}

    def subset(self, case_ids: Iterable[str]) -> "CaseLabels":
        ids = set(case_ids)
        return CaseLabels({k: v for k, v in self._table.items() if k in ids}, self.classes, self.source)


def raw_case_ids(raw_dataset_folder: PathLike, subfolder: str) -> set[str]:
    """Case ids in ``imagesTr``/``imagesTs`` of a raw dataset (files named ``<case>_<XXXX>.<ending>``)."""
    folder = Path(raw_dataset_folder)
    images = folder / subfolder
    if not images.is_dir():
        return set()
    ending = ".nii.gz"
    dataset_json = folder / "dataset.json"
    if dataset_json.is_file():
        ending = json.loads(dataset_json.read_text()).get("file_ending", ending)
    ids = set()
    for f in images.iterdir():
        name = f.name
        if not name.endswith(ending):
            continue
        stem = name[: -len(ending)]
        if len(stem) > 5 and stem[-5] == "_" and stem[-4:].isdigit():
            ids.add(stem[:-5])
    return ids


def write_case_labels(path: PathLike, labels: Mapping[str, Mapping[str, Optional[float]]],
                      classes: Sequence[str]) -> Path:
    """Write ``{case_id: {class: 0/1/None}}`` as classification_labels.csv, atomically.

    Unknown values (None or NaN) become empty cells.
    """
    path = Path(path)
    with atomic_path(path) as tmp, tmp.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([CASE_ID_COLUMN, *classes])
        for case_id in sorted(labels):
            row = [case_id]
            for name in classes:
                value = labels[case_id].get(name)
                if value is None or (isinstance(value, (float, np.floating)) and math.isnan(value)):
                    row.append("")
                else:
                    if value not in (0, 1):
                        raise LabelFileError(f"{path}: case '{case_id}', class '{name}': value {value!r} is not 0/1")
                    row.append(str(int(value)))
            writer.writerow(row)
    return path


def _preview(items: Sequence[str], n: int = 10) -> str:
    shown = ", ".join(f"'{i}'" for i in items[:n])
    return shown + (f" and {len(items) - n} more" if len(items) > n else "")
