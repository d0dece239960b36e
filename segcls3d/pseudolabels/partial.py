"""Partial supervision: a valid nnU-Net dataset from cases of which only some have masks.

Rules for a training case without a mask (no ``labelsTr/<case><ending>``), from its row of
classification_labels.csv (classification-only classes do not count):

* negative for every class that has labels -> its mask is all background (fully supervised), or with
  ``negatives="ignore"`` nnU-Net's ``ignore`` label everywhere (a class-label-only case, as
  ``nnUNetTrainerMultiMix`` needs for disjoint sources);
* positive for some class, or unknown -> ``positives="exclude"``: left out of the dataset;
  ``positives="ignore"``: its mask is nnU-Net's ``ignore`` label everywhere (dataset.json gets
  ``"ignore": max(labels) + 1`` unless it has one). nnU-Net's losses then take nothing from its
  voxels; the semi-supervised trainers treat such cases as unlabeled.

Cases with a mask keep it. Images are hard-linked into the new dataset.

Example:
    >>> write_partial_dataset("Dataset501_X", "Dataset502_XPartial", positives="ignore")  # doctest: +SKIP
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence, Union

import numpy as np
from tqdm import tqdm

from segcls3d.errors import InputDataError
from segcls3d.labels import ClassDefinition
from segcls3d.pseudolabels.dataset_files import foreground_voxels, link_or_copy, remove_case_files, write_mask
from segcls3d.pseudolabels.finish import finish_dataset
from segcls3d.pseudolabels.raw_dataset import RawDataset
from segcls3d.pseudolabels.records import CaseRecord, RecordStore

logger = logging.getLogger(__name__)
PathLike = Union[str, Path]
POSITIVES = ("exclude", "ignore")
NEGATIVES = ("background", "ignore")


def partial_action(case_label: np.ndarray, classes: Sequence[ClassDefinition], positives: str,
                   negatives: str = "background") -> tuple[str, str]:
    """Action (``background`` | ``ignore`` | ``excluded``) and reason for a case without a mask.

    Raises:
        ValueError: ``positives`` is not 'exclude' or 'ignore', or ``negatives`` not 'background' or 'ignore'.
    """
    if positives not in POSITIVES:
        raise ValueError(f"positives must be one of {POSITIVES}, got {positives!r}")
    if negatives not in NEGATIVES:
        raise ValueError(f"negatives must be one of {NEGATIVES}, got {negatives!r}")
    values = [(c.name, float(v)) for c, v in zip(classes, case_label) if c.label_ids]
    if values and all(v == 0 for _, v in values):
        if negatives == "ignore":
            return "ignore", "negative for every class with a mask, no mask: ignore label everywhere"
        return "background", "negative for every class with a mask: all-background mask"
    positive = [name for name, v in values if v == 1]
    why = f"positive for {', '.join(positive)}" if positive else "class label unknown"
    if positives == "exclude":
        return "excluded", f"{why}, no mask: excluded"
    return "ignore", f"{why}, no mask: ignore label everywhere"


def with_ignore_label(labels: dict) -> tuple[dict, int]:
    """dataset.json labels with an ``ignore`` entry (nnU-Net requires max(labels) + 1) and its value."""
    if "ignore" in labels:
        return dict(labels), int(labels["ignore"])
    values = [int(x) for v in labels.values() for x in (v if isinstance(v, (list, tuple)) else [v])]
    ignore = max(values) + 1
    return {**labels, "ignore": ignore}, ignore


def write_partial_dataset(raw: PathLike, out_dir: PathLike, positives: str = "exclude",
                          overwrite: bool = False, progress: bool = True,
                          negatives: str = "background") -> list[CaseRecord]:
    """Write the partially supervised version of ``raw`` into ``out_dir`` (resumable).

    Returns one record per training case (also written to ``pseudolabel_log.csv``).

    Raises:
        InputDataError: ``raw`` is not a raw dataset, ``out_dir`` is ``raw`` or holds another run.
        LabelFileError: malformed dataset.json / classification_labels.csv.
    """
    source = RawDataset.open(raw)
    out_dir = Path(out_dir)
    if out_dir.resolve() == source.folder.resolve():
        raise InputDataError(f"{out_dir}: the output folder must differ from the input dataset")
    if positives not in POSITIVES:
        raise InputDataError(f"--positives must be one of {POSITIVES}, got {positives!r}")
    if negatives not in NEGATIVES:
        raise InputDataError(f"--negatives must be one of {NEGATIVES}, got {negatives!r}")
    labels = {case: source.case_label(case) for case in source.train_images}
    plan = {case: ("labeled", "own mask") if source.mask_path(case) else
            partial_action(labels[case], source.classes, positives, negatives) for case in source.train_images}
    needs_ignore = any(action == "ignore" for action, _ in plan.values())
    labels_json, ignore = with_ignore_label(source.dataset_json["labels"]) if needs_ignore \
        else (dict(source.dataset_json["labels"]), source.ignore_label())
    store = RecordStore(out_dir)
    settings = {"mode": "partial", "raw": str(source.folder.resolve()), "positives": positives}
    store.start({**settings, **({"negatives": negatives} if negatives != "background" else {})}, overwrite)
    rw = source.reader_writer()
    records = []
    for case, (action, reason) in tqdm(plan.items(), desc="partial", unit="case", disable=not progress or None):
        done = store.get(case)
        if done is not None and _files_complete(out_dir, source, case, done):
            records.append(done)
            continue
        try:
            records.append(store.put(_write_case(source, out_dir, rw, case, action, reason, ignore)))
        except Exception as exc:  # noqa: BLE001 - one bad case must not stop the others
            logger.error("case '%s' failed: %s", case, exc)
            remove_case_files(out_dir, case, source.file_ending, ("imagesTr", "labelsTr"))
            records.append(CaseRecord(case, "partial", "failed", 0, f"{type(exc).__name__}: {exc}"))
    included = {r.case_id: labels[r.case_id] for r in records if r.included}
    finish_dataset(source, out_dir, store, records, included, labels_json if needs_ignore else None)
    return records


def _write_case(source: RawDataset, out_dir: Path, rw, case: str, action: str, reason: str,
                ignore: int | None) -> CaseRecord:
    ending = source.file_ending
    if action == "excluded":
        remove_case_files(out_dir, case, ending, ("imagesTr", "labelsTr"))
        return CaseRecord(case, "partial", action, 0, reason)
    mask_file = out_dir / "labelsTr" / f"{case}{ending}"
    if action == "labeled":
        own = source.mask_path(case)
        voxels = foreground_voxels(rw.read_seg(str(own))[0], ignore)
        link_or_copy(own, mask_file)
    else:
        image, properties = rw.read_images([str(f) for f in source.train_images[case]])
        mask = np.zeros(image.shape[1:], dtype=np.uint8) if action == "background" else \
            np.full(image.shape[1:], ignore, dtype=np.uint8 if ignore < 256 else np.uint16)
        write_mask(rw, mask, mask_file, properties)
        voxels = 0
    for f in source.train_images[case]:
        link_or_copy(f, out_dir / "imagesTr" / f.name)
    return CaseRecord(case, "partial", action, voxels, reason)


def _files_complete(out_dir: Path, source: RawDataset, case: str, record: CaseRecord) -> bool:
    if not record.included:
        return True
    images = all((out_dir / "imagesTr" / f.name).is_file() for f in source.train_images[case])
    return images and (out_dir / "labelsTr" / f"{case}{source.file_ending}").is_file()
