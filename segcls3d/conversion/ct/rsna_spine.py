"""RSNA 2022 Cervical Spine Fracture Detection: competition folder -> vertebra cases.

Competition layout::

    train.csv                    StudyInstanceUID, patient_overall, C1, ..., C7 (0/1)
    train_bounding_boxes.csv     StudyInstanceUID, x, y, width, height, slice_number (optional)
    train_images/<StudyUID>/<slice_number>.dcm
    segmentations/<StudyUID>.nii (optional; 1-7 = C1-C7, 8-19 = T1-T12, stored sagittally)

Each study is one case (case id = StudyInstanceUID), grouped by study for the splits.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path
from typing import Union

from segcls3d.conversion.ct.vertebra_cases import VertebraCase
from segcls3d.conversion.ct.vertebrae import CERVICAL
from segcls3d.errors import LabelFileError
from segcls3d.labels.values import parse_label_value

logger = logging.getLogger(__name__)

PathLike = Union[str, Path]
STUDY_COLUMN = "StudyInstanceUID"
OVERALL_COLUMN = "patient_overall"


def _read_csv(path: Path):
    import pandas as pd

    if not path.is_file():
        raise LabelFileError(f"{path}: file not found")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, OSError) as exc:
        raise LabelFileError(f"{path}: cannot be read as CSV ({exc})") from None


def _binary(path: Path, line: int, column: str, raw: str) -> float:
    """A cell of train.csv: 0 or 1 (the competition has no unknown labels)."""
    try:
        value = parse_label_value(raw)
    except ValueError:
        value = None
    if value is None:
        raise LabelFileError(f"{path}, line {line}: column {column} has value {raw!r}; expected 0 or 1")
    return value


def read_train_csv(path: PathLike) -> dict[str, tuple[float, dict[str, float]]]:
    """``{study: (patient_overall, {"C1": 0/1, ...})}`` from train.csv.

    Raises:
        LabelFileError: missing file/columns, duplicated studies, values other than 0/1.
    """
    path = Path(path)
    table = _read_csv(path)
    required = [STUDY_COLUMN, OVERALL_COLUMN, *CERVICAL]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise LabelFileError(f"{path}: missing column(s) {missing}; header is {list(table.columns)}")
    result: dict[str, tuple[float, dict[str, float]]] = {}
    for offset, row in enumerate(table.to_dict("records")):
        line = offset + 2
        study = str(row[STUDY_COLUMN]).strip()
        if not study:
            raise LabelFileError(f"{path}, line {line}: empty {STUDY_COLUMN}")
        if study in result:
            raise LabelFileError(f"{path}, line {line}: study {study} appears more than once")
        overall = _binary(path, line, OVERALL_COLUMN, row[OVERALL_COLUMN])
        result[study] = (overall, {c: _binary(path, line, c, row[c]) for c in CERVICAL})
    return result


def read_bounding_boxes(path: PathLike) -> dict[str, tuple[int, ...]]:
    """``{study: sorted slice numbers with a box}`` from train_bounding_boxes.csv.

    Raises:
        LabelFileError: missing columns or a slice number that is not an integer.
    """
    path = Path(path)
    table = _read_csv(path)
    missing = [c for c in (STUDY_COLUMN, "slice_number") if c not in table.columns]
    if missing:
        raise LabelFileError(f"{path}: missing column(s) {missing}")
    slices: dict[str, set[int]] = defaultdict(set)
    for offset, (study, number) in enumerate(zip(table[STUDY_COLUMN], table["slice_number"])):
        try:
            slices[str(study).strip()].add(int(float(number)))
        except ValueError:
            raise LabelFileError(f"{path}, line {offset + 2}: slice_number {number!r} is not an integer") from None
    return {study: tuple(sorted(v)) for study, v in slices.items()}


def rsna_cases(competition_dir: PathLike, use_bounding_boxes: bool = False) -> dict[str, VertebraCase]:
    """One :class:`VertebraCase` per study of train.csv (series folder ``train_images/<study>``).

    Raises:
        LabelFileError: malformed train.csv / train_bounding_boxes.csv, or boxes requested but the
            file is missing.
    """
    root = Path(competition_dir)
    labels = read_train_csv(root / "train.csv")
    boxes: dict[str, tuple[int, ...]] = {}
    if use_bounding_boxes:
        boxes = read_bounding_boxes(root / "train_bounding_boxes.csv")
        unknown = sorted(set(boxes) - set(labels))
        if unknown:
            logger.warning(
                "%d study(ies) of train_bounding_boxes.csv are not in train.csv (e.g. %s)", len(unknown), unknown[0]
            )
    return {
        study: VertebraCase(
            case_id=study,
            ct_path=root / "train_images" / study,
            level_labels=levels,
            overall=overall,
            bbox_slices=boxes.get(study, ()),
            group=study,
        )
        for study, (overall, levels) in sorted(labels.items())
    }
