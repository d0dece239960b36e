"""Read an nnU-Net raw dataset whose ``labelsTr`` may be incomplete.

A training case is an image in ``imagesTr`` (``<case>_0000<ending>`` ...). A case **has no mask**
when ``labelsTr/<case><ending>`` does not exist: that is how a user marks images that only carry
a class label (a row in classification_labels.csv) or no label at all. nnU-Net itself would reject
such a folder; :mod:`segcls3d.pseudolabels.partial` and :mod:`segcls3d.pseudolabels.pseudolabel` turn it into a
valid dataset.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import numpy as np

from segcls3d.errors import InputDataError, LabelFileError
from segcls3d.labels import LABELS_FILENAME, CaseLabels, ClassDefinition, class_definitions

logger = logging.getLogger(__name__)
PathLike = Union[str, Path]
_CHANNEL = re.compile(r"^(?P<case>.+)_(?P<channel>\d{4})$")


def channel_files(folder: Path, file_ending: str) -> dict[str, list[Path]]:
    """Group ``<case>_XXXX<ending>`` files of ``folder`` by case, channels in order (empty if no folder)."""
    cases: dict[str, dict[int, Path]] = {}
    if not folder.is_dir():
        return {}
    for f in sorted(folder.iterdir()):
        if not f.is_file() or f.name.startswith(".") or not f.name.endswith(file_ending):
            continue
        match = _CHANNEL.match(f.name[: -len(file_ending)])
        if match:
            cases.setdefault(match["case"], {})[int(match["channel"])] = f
    return {case: [chans[c] for c in sorted(chans)] for case, chans in sorted(cases.items())}


@dataclass
class RawDataset:
    """An nnU-Net raw dataset folder: dataset.json, cases, masks (possibly missing) and labels."""

    folder: Path
    dataset_json: dict
    classes: list[ClassDefinition]
    train_images: dict[str, list[Path]]
    test_images: dict[str, list[Path]]
    labels: CaseLabels = field(repr=False)
    _reader_writer: object = field(default=None, repr=False)

    @classmethod
    def open(cls, folder: PathLike) -> "RawDataset":
        """Read dataset.json, list the cases and load classification_labels.csv (if any).

        Rows may be missing from the CSV: a case with a mask then gets labels derived from its mask
        (see :meth:`case_label`), a case without one is unknown.

        Raises:
            InputDataError: no dataset.json or no training images; a case has the wrong number of
                channels.
            LabelFileError: dataset.json or the CSV is malformed.
        """
        folder = Path(folder)
        path = folder / "dataset.json"
        if not path.is_file():
            raise InputDataError(f"{folder}: no dataset.json (expected an nnU-Net raw dataset folder)")
        try:
            dataset_json = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise LabelFileError(f"{path}: not valid JSON ({exc})") from None
        classes = class_definitions(dataset_json, source=str(path))
        ending = dataset_json.get("file_ending", ".nii.gz")
        n_channels = len(dataset_json.get("channel_names", dataset_json.get("modality", {})))
        train = channel_files(folder / "imagesTr", ending)
        test = channel_files(folder / "imagesTs", ending)
        if not train:
            raise InputDataError(f"{folder}/imagesTr: no '<case>_0000{ending}' images")
        for split, cases in (("imagesTr", train), ("imagesTs", test)):
            bad = [c for c, files in cases.items() if len(files) != n_channels]
            if bad:
                raise InputDataError(f"{folder}/{split}: case(s) {bad[:5]} do not have {n_channels} channel file(s)")
        csv = folder / LABELS_FILENAME
        names = [c.name for c in classes]
        labels = CaseLabels.load(csv, names, known_cases=set(train) | set(test)) if csv.is_file() \
            else CaseLabels({}, names, source=str(csv))
        return cls(folder, dataset_json, classes, train, test, labels)

    @property
    def file_ending(self) -> str:
        return self.dataset_json.get("file_ending", ".nii.gz")

    @property
    def has_regions(self) -> bool:
        """Region-based training (nnU-Net's rule: some label value is a list of several ids)."""
        return any(isinstance(v, (list, tuple)) and len(v) > 1 for v in self.dataset_json["labels"].values())

    @property
    def class_names(self) -> list[str]:
        return [c.name for c in self.classes]

    def mask_path(self, case_id: str, split: str = "train") -> Optional[Path]:
        """``labelsTr/<case><ending>`` (``labelsTs`` for split 'test'), or None when there is no mask."""
        path = self.folder / ("labelsTr" if split == "train" else "labelsTs") / f"{case_id}{self.file_ending}"
        return path if path.is_file() else None

    def reader_writer(self):
        """nnU-Net's image reader/writer for this dataset (as nnU-Net itself would choose it)."""
        from nnunetv2.imageio.reader_writer_registry import determine_reader_writer_from_dataset_json

        if self._reader_writer is None:
            example = next(iter(self.train_images.values()))[0]
            self._reader_writer = determine_reader_writer_from_dataset_json(self.dataset_json, str(example),
                                                                            verbose=False)()
        return self._reader_writer

    def case_label(self, case_id: str, split: str = "train") -> np.ndarray:
        """Class labels of a case (NaN = unknown): the CSV row, else derived from the mask, else unknown."""
        if case_id in self.labels:
            return self.labels[case_id]
        mask = self.mask_path(case_id, split)
        if mask is None:
            return np.full(len(self.classes), np.nan, dtype=np.float32)
        seg, _ = self.reader_writer().read_seg(str(mask))
        return labels_from_mask(seg, self.classes)

    def foreground_label_ids(self) -> list[int]:
        """All label values of dataset.json other than background and ignore."""
        ids = set()
        for name, value in self.dataset_json["labels"].items():
            if name == "ignore":
                continue
            ids.update(int(v) for v in (value if isinstance(value, (list, tuple)) else [value]))
        ids.discard(0)
        return sorted(ids)

    def ignore_label(self) -> Optional[int]:
        value = self.dataset_json["labels"].get("ignore")
        return None if value is None else int(value)


def labels_from_mask(seg: np.ndarray, classes: list[ClassDefinition]) -> np.ndarray:
    """A class is positive iff the mask contains one of its labels (NaN for classification-only classes)."""
    present = set(int(v) for v in np.unique(seg))
    return np.array([(1.0 if present & set(c.label_ids) else 0.0) if c.label_ids else np.nan for c in classes],
                    dtype=np.float32)


def check_same_labels(teacher_json: dict, dataset_json: dict, teacher_name: str) -> None:
    """The teacher must predict the labels of the dataset it pseudo-labels (ignore label excepted).

    Raises:
        LabelFileError: the label mappings differ.
    """
    ours = {k: v for k, v in dataset_json["labels"].items() if k != "ignore"}
    theirs = {k: v for k, v in teacher_json["labels"].items() if k != "ignore"}
    norm = lambda d: {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}  # noqa: E731
    if norm(ours) != norm(theirs):
        raise LabelFileError(
            f"teacher {teacher_name} predicts labels {theirs} but the dataset has labels {ours}; "
            "pseudo masks must use the dataset's labels"
        )
