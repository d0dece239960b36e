"""Out-of-fold embeddings of the training cases: case c's features come from the fold that did not train on c.

Each fold's checkpoint is loaded (nnU-Net's predictor, :func:`segcls3d.predict.load_model`) and
its validation cases are read from nnU-Net's preprocessed data
(``$nnUNet_preprocessed/<dataset>/<data_identifier>``, what the network was trained on) and passed
through :func:`segcls3d.summarize.trained.features.extract_features`.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np
from tqdm import tqdm

from segcls3d.errors import ModelFolderError
from segcls3d.summarize.trained.features import embedding_module, extract_features
from segcls3d.summarize.trained.model_info import ModelInfo
from segcls3d.summarize.trained.out_of_fold import OutOfFoldCase

logger = logging.getLogger(__name__)
PathLike = Union[str, Path]


def preprocessed_folder(info: ModelInfo, folder: Optional[PathLike] = None) -> Path:
    """The preprocessed data of the model's configuration.

    Raises:
        ModelFolderError: the folder is not given and ``nnUNet_preprocessed`` is unset, or it does not exist.
    """
    if folder is None:
        base = os.environ.get("nnUNet_preprocessed")
        if not base:
            raise ModelFolderError("embedding summarizers need the preprocessed training cases: set "
                                   "nnUNet_preprocessed or pass --preprocessed FOLDER")
        identifier = info.plans["configurations"][info.configuration].get("data_identifier", "")
        folder = Path(base) / info.dataset_name / identifier
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelFolderError(f"preprocessed data folder {folder} does not exist (run nnUNetv2_plan_and_preprocess "
                               "for this configuration, or pass --preprocessed FOLDER)")
    return folder


def out_of_fold_features(info: ModelInfo, cases: Sequence[OutOfFoldCase], layer: str, grid: Sequence[int],
                         device: str = "cpu", checkpoint: str = "checkpoint_final.pth",
                         preprocessed: Optional[PathLike] = None, step_size: float = 0.5
                         ) -> tuple[np.ndarray, str, tuple[int, ...]]:
    """Features (N, C, *grid) of ``cases`` in their order, the layer's module name and the grid used.

    ``grid`` may have fewer entries than the configuration's patch dimensions (an int repeats).

    Raises:
        ModelFolderError: missing checkpoint, preprocessed case, or a network without decoder stages.
    """
    from nnunetv2.training.dataloading.nnunet_dataset import infer_dataset_class

    # segcls3d.model imports torch, which the summarize package loads only when a network is needed
    from segcls3d.model.heads import unwrap
    from segcls3d.model.loading import load_model

    folder = preprocessed_folder(info, preprocessed)
    folds = sorted({c.fold for c in cases}, key=str)
    model = load_model(info.folder, folds, checkpoint, device, use_mirroring=False, tile_step_size=step_size)
    predictor = model.predictor
    if getattr(predictor.configuration_manager, "previous_stage_name", None):
        raise ModelFolderError(f"{info.folder}: embedding summarizers do not support cascade configurations")
    patch = list(predictor.configuration_manager.patch_size)
    grid = tuple(int(g) for g in (grid if len(grid) == len(patch) else [grid[0]] * len(patch)))
    network = unwrap(predictor.network)
    _, layer_name = embedding_module(network, layer)
    missing = [c.case_id for c in cases if not any((folder / f"{c.case_id}{e}").is_file() for e in (".b2nd", ".npz"))]
    if missing:
        raise ModelFolderError(f"{folder}: no preprocessed data for case(s) {missing[:10]}")
    dataset = infer_dataset_class(str(folder))(str(folder), [c.case_id for c in cases])
    features: dict[str, np.ndarray] = {}
    for fold, params in zip(folds, predictor.list_of_parameters):
        network.load_state_dict(params)
        fold_cases = [c for c in cases if c.fold == fold]
        for case in tqdm(fold_cases, desc=f"features fold {fold}", unit="case", leave=False):
            data = np.asarray(dataset.load_case(case.case_id)[0][:])
            features[case.case_id] = extract_features(network, data, patch, layer, grid, predictor.device, step_size)
    logger.info("extracted %s features %s for %d cases", layer_name, features[cases[0].case_id].shape, len(cases))
    return np.stack([features[c.case_id] for c in cases]), layer_name, grid
