"""Load a trained nnU-Net model folder (ours or stock) for segmentation-for-classification."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence, Union

import torch

from segcls3d.errors import ModelFolderError
from segcls3d.labels import ClassDefinition, class_definitions
from segcls3d.model.checkpoint import initialize_predictor
from segcls3d.model.class_channels import class_channel_groups
from segcls3d.model.head_predictor import HeadRecordingPredictor
from segcls3d.model.heads import get_head
from segcls3d.nnunet_env import ensure_ext_trainer_path

logger = logging.getLogger(__name__)
PathLike = Union[str, Path]


@dataclass
class LoadedModel:
    """A ready predictor plus what predict needs to know about the model."""

    predictor: "object"
    kind: str  # "segmentation" | "multitask" | "classifier"
    classes: list[ClassDefinition]
    channel_groups: dict[str, list[int]]
    dataset_json: dict
    folder: Path
    checkpoints: list[Path] = field(default_factory=list)  # one per fold, in fold order

    @property
    def class_names(self) -> list[str]:
        return [c.name for c in self.classes]


def resolve_device(name: str) -> torch.device:
    """'auto' -> cuda if available else cpu; otherwise the named device (error if cuda is missing)."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ModelFolderError("--device cuda requested but no CUDA device is available (use --device cpu)")
    return torch.device(name)


def load_model(
    model_folder: PathLike,
    folds: Optional[Sequence[Union[int, str]]] = None,
    checkpoint: str = "checkpoint_final.pth",
    device: str = "auto",
    use_mirroring: bool = True,
    tile_step_size: float = 0.5,
    trust_checkpoint: bool = False,
) -> LoadedModel:
    """Build nnU-Net's predictor for ``model_folder`` (``<trainer>__<plans>__<configuration>``).

    Checkpoints are read with ``torch.load(weights_only=True)`` (:mod:`segcls3d.model.checkpoint`);
    ``trust_checkpoint=True`` lets nnU-Net load them itself (``weights_only=False``: the file can run
    code), for trusted files that hold other types.

    Raises:
        ModelFolderError: missing dataset.json/plans.json/checkpoints, a checkpoint a safe load refuses,
            or a trainer nnU-Net cannot find.
    """
    folder = Path(model_folder)
    for required in ("dataset.json", "plans.json"):
        if not (folder / required).is_file():
            raise ModelFolderError(f"{folder}: no {required}; pass the folder <trainer>__<plans>__<configuration>")
    if folds is None:
        folds = sorted(int(p.name[5:]) for p in folder.glob("fold_*")
                       if p.name[5:].isdigit() and (p / checkpoint).is_file())
        if not folds and (folder / "fold_all" / checkpoint).is_file():
            folds = ["all"]
    if not folds:
        raise ModelFolderError(f"{folder}: no fold_*/{checkpoint} found")
    for f in folds:
        if not (folder / f"fold_{f}" / checkpoint).is_file():
            raise ModelFolderError(f"{folder}: fold {f} has no {checkpoint}")
    ensure_ext_trainer_path()
    predictor = HeadRecordingPredictor(tile_step_size=tile_step_size, use_gaussian=True, use_mirroring=use_mirroring,
                                       perform_everything_on_device=True, device=resolve_device(device),
                                       verbose=False, verbose_preprocessing=False, allow_tqdm=False)
    checkpoints = [folder / f"fold_{f}" / checkpoint for f in folds]
    try:
        if trust_checkpoint:
            logger.warning("loading %s with torch.load(weights_only=False) (--trust-checkpoint)", folder)
            predictor.initialize_from_trained_model_folder(str(folder), tuple(folds), checkpoint)
        else:
            initialize_predictor(predictor, folder, checkpoints)
    except RuntimeError as exc:
        if "Could not find requested nnunet trainer" in str(exc):
            raise ModelFolderError(
                f"{folder}: {exc}\nA model trained with a test-only schedule (..._smoke) needs tests/trainers in "
                "nnUNet_extTrainer; schedules removed in the trainer redesign (..._1epoch, semi-supervised "
                "..._5epochs) build the same network as their base trainer: put a subclass with that name in a "
                "folder on nnUNet_extTrainer, e.g. `class nnUNetTrainerSegCls_1epoch(nnUNetTrainerSegCls): pass`."
            ) from None
        raise
    dataset_json = json.loads((folder / "dataset.json").read_text())
    classes = class_definitions(dataset_json, source=str(folder / "dataset.json"))
    network = predictor.network
    if getattr(network, "segcls3d_kind", None) == "classifier":
        kind = "classifier"
    elif get_head(network) is not None:
        kind = "multitask"
    else:
        kind = "segmentation"
    groups = class_channel_groups(classes, predictor.label_manager) if kind != "classifier" else {}
    logger.info("loaded %s model %s (folds %s, device %s)", kind, folder.name, list(folds), predictor.device)
    return LoadedModel(predictor, kind, classes, groups, dataset_json, folder, checkpoints)
