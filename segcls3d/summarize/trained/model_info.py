"""What a trained summarizer must know about the nnU-Net model it belongs to.

A trained summarizer reads class probability maps (or network features) of one particular model:
its label set, its image-level classes and the output channels of each class. :func:`read_model_info`
collects these from a model folder ``<trainer>__<plans>__<configuration>`` without building the
network; :func:`label_signature` is the part stored in a summarizer file and compared when the
summarizer is applied (:func:`check_label_signature`).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence, Union

from segcls3d.errors import ModelFolderError
from segcls3d.labels import ClassDefinition, class_definitions
from segcls3d.model.class_channels import class_channel_groups

logger = logging.getLogger(__name__)
PathLike = Union[str, Path]


@dataclass
class ModelInfo:
    """Files and class layout of a trained model folder."""

    folder: Path
    dataset_json: dict
    plans: dict
    configuration: str
    classes: list[ClassDefinition]
    channel_groups: dict[str, list[int]]

    @property
    def file_ending(self) -> str:
        return str(self.dataset_json.get("file_ending", ".nii.gz"))

    @property
    def dataset_name(self) -> str:
        return str(self.plans.get("dataset_name", ""))


def _read_json(path: Path) -> dict:
    if not path.is_file():
        raise ModelFolderError(f"{path.parent}: no {path.name}; pass the folder <trainer>__<plans>__<configuration>")
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise ModelFolderError(f"{path}: not valid JSON ({exc})") from None


def read_model_info(model_folder: PathLike) -> ModelInfo:
    """Read dataset.json and plans.json of a model folder and derive the class channel groups.

    The configuration is the last ``__`` part of the folder name (nnU-Net's naming).

    Raises:
        ModelFolderError: missing/invalid dataset.json or plans.json, or a folder name whose
            configuration is not in the plans.
    """
    from nnunetv2.utilities.plans_handling.plans_handler import PlansManager  # nnU-Net: slow, only for model folders

    folder = Path(model_folder)
    if not folder.is_dir():
        raise ModelFolderError(f"model folder {folder} does not exist")
    dataset_json = _read_json(folder / "dataset.json")
    plans = _read_json(folder / "plans.json")
    configuration = folder.name.split("__")[-1]
    if configuration not in plans.get("configurations", {}):
        raise ModelFolderError(
            f"{folder}: the folder name should be <trainer>__<plans>__<configuration>; "
            f"'{configuration}' is not a configuration of its plans.json ({sorted(plans.get('configurations', {}))})"
        )
    classes = class_definitions(dataset_json, source=str(folder / "dataset.json"))
    label_manager = PlansManager(plans).get_label_manager(dataset_json)
    groups = class_channel_groups(classes, label_manager)
    if not groups:
        raise ModelFolderError(f"{folder}: no image-level class has segmentation labels; nothing to summarize")
    return ModelInfo(folder, dataset_json, plans, configuration, classes, groups)


def label_signature(dataset_json: Mapping[str, Any], classes: Sequence[ClassDefinition],
                    channel_groups: Mapping[str, Sequence[int]]) -> dict:
    """The model's label set as stored in a summarizer file (JSON-friendly, order-independent labels)."""
    labels = {str(k): (sorted(int(i) for i in v) if isinstance(v, (list, tuple)) else int(v))
              for k, v in dict(dataset_json.get("labels", {})).items()}
    return {
        "labels": dict(sorted(labels.items())),
        "classes": {c.name: [int(i) for i in c.label_ids] for c in classes},
        "channel_groups": {k: [int(i) for i in v] for k, v in channel_groups.items()},
    }


def check_label_signature(saved: Mapping[str, Any], current: Mapping[str, Any], where: str) -> None:
    """Refuse a summarizer fitted on a model with another label set.

    Raises:
        ModelFolderError: labels, classes or class channels differ (the message shows both).
    """
    for key in ("labels", "classes", "channel_groups"):
        if saved.get(key) != current.get(key):
            raise ModelFolderError(
                f"{where}: the summarizer was fitted on a model with {key} {saved.get(key)}, but this model has "
                f"{current.get(key)}; fit a summarizer for this model with `segcls3d summarize fit`"
            )
