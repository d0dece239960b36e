"""The images pretraining sees: every preprocessed case of the configuration, plus optional extra images.

Extra images (unlabelled cases, ``imagesTs``: ``<case>_0000<ending>`` files) are preprocessed once by
the configuration's own nnU-Net preprocessor, the way the predictor preprocesses a test image, and stored
as nnU-Net blosc2 cases under the pretraining output folder. A case is done when its ``.pkl`` exists
(written last, by rename), so a rerun resumes; a case that fails is reported and skipped.
"""
from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Sequence

from batchgenerators.utilities.file_and_folder_operations import subfiles
from nnunetv2.training.dataloading.nnunet_dataset import infer_dataset_class, nnUNetDatasetBlosc2
from nnunetv2.utilities.utils import create_paths_fn, get_identifiers_from_splitted_dataset_folder
from tqdm import tqdm

from segcls3d.errors import InputDataError
from segcls3d.io.atomic import TEMP_PREFIX

logger = logging.getLogger(__name__)
EXTRA_SEPARATOR = "/"


class PretrainCases:
    """Several nnU-Net datasets seen as one: ``identifiers`` and ``load_case`` like an nnU-Net dataset.

    Cases of the first dataset keep their identifiers; the others are ``<name>/<identifier>``.
    """

    def __init__(self, datasets: Sequence[tuple[str, object]]):
        self._sources: dict[str, tuple[object, str]] = {}
        for name, dataset in datasets:
            for identifier in dataset.identifiers:
                key = f"{name}{EXTRA_SEPARATOR}{identifier}" if name else identifier
                self._sources[key] = (dataset, identifier)
        self.identifiers = sorted(self._sources)

    def __len__(self) -> int:
        return len(self.identifiers)

    def load_case(self, key: str):
        dataset, identifier = self._sources[key]
        return dataset.load_case(identifier)


def preprocessed_cases(folder: Path) -> object:
    """nnU-Net's dataset (blosc2 or numpy, as preprocessing wrote it) over a preprocessed configuration folder.

    Raises:
        InputDataError: the folder does not exist or holds no case.
    """
    if not folder.is_dir() or not any(folder.iterdir()):
        raise InputDataError(f"{folder}: no preprocessed cases; run nnUNetv2_plan_and_preprocess for this "
                             "configuration first")
    dataset_class = infer_dataset_class(str(folder))
    return dataset_class(str(folder))


def preprocess_extra_images(images: Path, out: Path, plans_manager, configuration_manager, dataset_json: dict,
                            progress: bool = True) -> tuple[object, list[tuple[str, str]]]:
    """Preprocess every case of ``images`` into ``out`` (resuming); return its dataset and the failed cases.

    Raises:
        InputDataError: ``images`` is not a folder or holds no ``<case>_0000<ending>`` file.
    """
    ending = dataset_json["file_ending"]
    if not images.is_dir():
        raise InputDataError(f"{images}: not a folder of images")
    identifiers = list(get_identifiers_from_splitted_dataset_folder(str(images), ending))
    if not identifiers:
        raise InputDataError(f"{images}: no images named <case>_0000{ending}")
    out.mkdir(parents=True, exist_ok=True)
    files = subfiles(str(images), suffix=ending, join=False, sort=True)
    preprocessor = configuration_manager.preprocessor_class(verbose=False)
    failed: list[tuple[str, str]] = []
    todo = [i for i in identifiers if not (out / f"{i}.pkl").is_file()]
    for identifier in tqdm(todo, desc=f"preprocessing {images.name}", disable=not progress or not todo):
        try:
            _preprocess_one(preprocessor, create_paths_fn(str(images), files, ending, identifier), out / identifier,
                            plans_manager, configuration_manager, dataset_json)
        except Exception as exc:  # one bad image must not stop the others
            logger.warning("%s: preprocessing failed (%s: %s); skipped", identifier, type(exc).__name__, exc)
            failed.append((identifier, f"{type(exc).__name__}: {exc}"))
    done = [i for i in identifiers if (out / f"{i}.pkl").is_file()]
    return nnUNetDatasetBlosc2(str(out), done), failed


def _preprocess_one(preprocessor, image_files: list[str], target: Path, plans_manager, configuration_manager,
                    dataset_json: dict) -> None:
    """nnU-Net's ``run_case_save`` into a temporary folder, then its files moved into place (``.pkl`` last)."""
    tmp = target.parent / f"{TEMP_PREFIX}{target.name}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        preprocessor.run_case_save(str(tmp / target.name), image_files, None, plans_manager, configuration_manager,
                                   dataset_json)
        for suffix in (".b2nd", "_seg.b2nd", ".pkl"):
            os.replace(tmp / f"{target.name}{suffix}", target.parent / f"{target.name}{suffix}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
