"""A table of per-vertebra-level labels + a CT folder -> vertebra cases (general, not RSNA-only).

The CSV has a case column (default ``case_id``), optionally a group column (patient id, for the
splits), and one column per vertebra level named like TotalSegmentator (``T12`` or
``vertebrae_T12``). Cells are numbers binarized with a threshold (e.g. VerSe's Genant fracture
grades 0-3 with threshold 1) or empty for unknown. Example::

    case_id,patient,T12,L1,L2
    verse004,p1,0,2,0
    verse005,p2,0,0,

The CT of a case is ``<ct_dir>/<case>.nii.gz`` (also ``.nii``, ``.mha``, ``.nrrd``,
``<case>_0000.nii.gz``) or a DICOM series folder ``<ct_dir>/<case>/``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional, Union

from segcls3d.conversion.ct.vertebra_cases import VertebraCase
from segcls3d.conversion.ct.vertebra_targets import binarize
from segcls3d.conversion.ct.vertebrae import LEVELS, normalize_level
from segcls3d.errors import InputDataError, LabelFileError

logger = logging.getLogger(__name__)

PathLike = Union[str, Path]
CT_SUFFIXES = (".nii.gz", ".nii", ".mha", ".nrrd", "_0000.nii.gz")


def read_level_table(
    path: PathLike, case_column: str = "case_id", group_column: Optional[str] = None, threshold: float = 1.0
) -> tuple[list[str], dict[str, dict[str, Optional[float]]], dict[str, str]]:
    """Read the label table.

    Returns:
        (levels in anatomical order, ``{case: {level: 0/1/None}}``, ``{case: group}``).

    Raises:
        LabelFileError: missing file or columns, no level column, duplicated cases or levels,
            non-numeric cells.
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise LabelFileError(f"{path}: label table not found")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, OSError) as exc:
        raise LabelFileError(f"{path}: cannot be read as CSV ({exc})") from None
    for column in (case_column, group_column):
        if column is not None and column not in table.columns:
            raise LabelFileError(f"{path}: no column {column!r} (header is {list(table.columns)})")
    level_of_column: dict[str, str] = {}
    for column in table.columns:
        if column in (case_column, group_column):
            continue
        try:
            level = normalize_level(column)
        except InputDataError:
            logger.warning("%s: ignoring column %r (not a vertebra level)", path, column)
            continue
        if level in level_of_column.values():
            raise LabelFileError(f"{path}: vertebra level {level} appears in two columns")
        level_of_column[column] = level
    if not level_of_column:
        raise LabelFileError(f"{path}: no vertebra level column (names like T12 or vertebrae_T12)")
    levels = [lvl for lvl in LEVELS if lvl in level_of_column.values()]
    labels: dict[str, dict[str, Optional[float]]] = {}
    groups: dict[str, str] = {}
    for offset, row in enumerate(table.to_dict("records")):
        line = offset + 2
        case_id = str(row[case_column]).strip()
        if not case_id:
            raise LabelFileError(f"{path}, line {line}: empty {case_column}")
        if case_id in labels:
            raise LabelFileError(f"{path}, line {line}: case {case_id} appears more than once")
        values = {}
        for column, level in level_of_column.items():
            try:
                values[level] = binarize(row[column], threshold)
            except InputDataError as exc:
                raise LabelFileError(f"{path}, line {line}: case {case_id}, column {column}: {exc}") from None
        labels[case_id] = values
        groups[case_id] = str(row[group_column]).strip() if group_column else case_id
    return levels, labels, groups


def find_ct(ct_dir: PathLike, case_id: str) -> Path:
    """The CT file or DICOM folder of a case.

    Raises:
        InputDataError: none found.
    """
    ct_dir = Path(ct_dir)
    for suffix in CT_SUFFIXES:
        if (ct_dir / f"{case_id}{suffix}").is_file():
            return ct_dir / f"{case_id}{suffix}"
    if (ct_dir / case_id).is_dir():
        return ct_dir / case_id
    raise InputDataError(
        f"case {case_id}: no CT {case_id}.nii.gz (or .nii/.mha/.nrrd/_0000.nii.gz) or DICOM folder in {ct_dir}"
    )


def level_table_cases(
    ct_dir: PathLike,
    labels_csv: PathLike,
    case_column: str = "case_id",
    group_column: Optional[str] = None,
    threshold: float = 1.0,
) -> tuple[list[str], dict[str, VertebraCase]]:
    """Levels and one :class:`VertebraCase` per table row.

    A case whose CT is missing is kept (its conversion is reported as skipped).
    """
    levels, labels, groups = read_level_table(labels_csv, case_column, group_column, threshold)
    cases = {}
    for case_id, values in sorted(labels.items()):
        try:
            ct = find_ct(ct_dir, case_id)
        except InputDataError:
            ct = Path(ct_dir) / f"{case_id}.nii.gz"
        cases[case_id] = VertebraCase(case_id=case_id, ct_path=ct, level_labels=values, group=groups[case_id])
    return levels, cases
