"""Out-of-fold predictions of an nnU-Net cross-validation: the training data of trained summarizers.

nnU-Net's final validation of fold ``f`` predicts the cases fold ``f`` never trained on and writes
``fold_f/validation/<case><file_ending>``; with ``--npz`` it also keeps the probabilities
``<case>.npz`` (key ``probabilities``, shape (C, z, y, x) on the original image grid) and the image
properties ``<case>.pkl``. Over all folds every training case gets exactly one prediction from a model
that did not see it, so a summarizer fitted on them does not learn the network's training-set
confidence (no leakage).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

import numpy as np

from segcls3d.errors import ModelFolderError
from segcls3d.summarize.class_maps import class_probability_maps

logger = logging.getLogger(__name__)
Fold = Union[int, str]

NPZ_HINT = (
    "train with `nnUNetv2_train DATASET CONFIG FOLD -tr TRAINER -p PLANS --npz`, or export them afterwards "
    "with `nnUNetv2_train DATASET CONFIG FOLD -tr TRAINER -p PLANS --val --npz` for each fold"
)


@dataclass(frozen=True)
class OutOfFoldCase:
    """One training case and the fold whose model did not train on it."""

    case_id: str
    fold: Fold
    validation_folder: Path

    @property
    def npz(self) -> Path:
        return self.validation_folder / f"{self.case_id}.npz"

    @property
    def pkl(self) -> Path:
        return self.validation_folder / f"{self.case_id}.pkl"


def model_folds(model_folder: Path, folds: Optional[Sequence[Fold]] = None) -> list[Fold]:
    """Folds to use: the given ones, or every ``fold_<int>`` folder of the model.

    Raises:
        ModelFolderError: no cross-validation fold (``fold_all`` has no out-of-fold cases) or a
            requested fold folder is missing.
    """
    model_folder = Path(model_folder)
    if folds is None:
        folds = sorted(int(p.name[5:]) for p in model_folder.glob("fold_*") if p.name[5:].isdigit() and p.is_dir())
    folds = [f if f == "all" else int(f) for f in folds]
    if "all" in folds:
        raise ModelFolderError(f"{model_folder}: fold 'all' trained on every case, so it has no out-of-fold "
                               "predictions; fit summarizers on the cross-validation folds 0..4")
    if not folds:
        raise ModelFolderError(f"{model_folder}: no fold_<n> folders; train the cross-validation folds first")
    for f in folds:
        if not (model_folder / f"fold_{f}").is_dir():
            raise ModelFolderError(f"{model_folder}: fold {f} has no folder fold_{f}")
    return folds


def out_of_fold_cases(model_folder: Path, folds: Sequence[Fold], file_ending: str,
                      need_probabilities: bool = True) -> list[OutOfFoldCase]:
    """The validation cases of each fold.

    With ``need_probabilities`` a case is listed by its ``<case>.npz``; otherwise also by the exported
    segmentation ``<case><file_ending>`` (enough for methods that only need the case list).

    Raises:
        ModelFolderError: a fold has no validation folder or (with ``need_probabilities``) no
            ``.npz`` probabilities (the message says how to export them), a ``.npz`` without its
            ``.pkl``, or a case validated by two folds.
    """
    cases: dict[str, OutOfFoldCase] = {}
    for f in folds:
        folder = Path(model_folder) / f"fold_{f}" / "validation"
        if not folder.is_dir():
            raise ModelFolderError(f"{folder.parent}: no validation folder; run the final validation: "
                                   + NPZ_HINT)
        ids = {p.stem for p in folder.glob("*.npz")}
        if not need_probabilities:
            ids |= {p.name[: -len(file_ending)] for p in folder.iterdir() if p.name.endswith(file_ending)}
        if not ids:
            what = "probabilities (<case>.npz)" if need_probabilities else "validation predictions"
            raise ModelFolderError(f"{folder}: no out-of-fold {what}; " + NPZ_HINT)
        for case_id in sorted(ids):
            case = OutOfFoldCase(case_id, f, folder)
            if need_probabilities and not case.pkl.is_file():
                raise ModelFolderError(f"{case.npz}: no {case.pkl.name} next to it (nnU-Net writes both); " + NPZ_HINT)
            if case_id in cases:
                raise ModelFolderError(f"case '{case_id}' is a validation case of fold {cases[case_id].fold} and of "
                                       f"fold {f}: the folds overlap, out-of-fold predictions are ambiguous")
            cases[case_id] = case
    logger.info("%d out-of-fold cases from folds %s", len(cases), list(folds))
    return list(cases.values())


def load_case_maps(case: OutOfFoldCase, channel_groups: Mapping[str, Sequence[int]]
                   ) -> tuple[dict[str, np.ndarray], tuple[float, ...]]:
    """Class probability maps and spacing (z, y, x) of one out-of-fold case.

    Raises:
        ModelFolderError: the files cannot be read or lack the ``probabilities`` array.
    """
    from batchgenerators.utilities.file_and_folder_operations import load_pickle

    try:
        with np.load(case.npz) as npz:
            probabilities = npz["probabilities"]
        properties = load_pickle(str(case.pkl))
    except (OSError, KeyError, ValueError, EOFError) as exc:
        raise ModelFolderError(f"{case.npz}: cannot read out-of-fold probabilities ({exc})") from None
    try:
        maps = class_probability_maps(probabilities, channel_groups)
    except ValueError as exc:
        raise ModelFolderError(f"{case.npz}: {exc}") from None
    return maps, tuple(float(s) for s in properties["spacing"])
