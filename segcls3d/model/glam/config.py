"""GLAM's network settings, recorded in the plans a GLAM model is saved with.

``build_network_architecture`` is a staticmethod that sees only the plans (as for the class names,
see :mod:`segcls3d.model.plans_classes`), so the trainer writes its :class:`GLAMConfig` and the
output channel of each class into the plans' configuration; the predictor rebuilds the same network.

Defaults follow the paper: top 3% pooling of the global maps, top 20% of the local maps (App. C),
scale weights 0.2/0.6/0.2 (App. B), K = 6 patches in training and M = 1 at inference (Sec. 3.3),
fused map (S_g + S_l) / 2.
"""
from __future__ import annotations

from copy import deepcopy
from dataclasses import asdict, dataclass, fields
from typing import Optional, Sequence

from nnunetv2.utilities.plans_handling.plans_handler import PlansManager

from segcls3d.errors import LabelFileError, ModelFolderError
from segcls3d.labels import class_definitions
from segcls3d.model.class_channels import class_channel_groups

GLAM_KEY = "segcls3d_glam"


@dataclass(frozen=True)
class GLAMConfig:
    """What shapes a GLAM network (loss weights are the trainer's).

    Attributes:
        global_downsample: the global module sees the input shrunk by this factor per axis.
        scales: number of encoder stages with a saliency map (the paper's S_0, S_1, S_2).
        scale_weights: weights of the scales' maps in S_g, finest first (uniform if their number differs).
        min_saliency_stride: the finest saliency stage is the first whose stride (on the global input)
            reaches this, unless fewer than ``scales`` stages would be left.
        global_top_t: top-t fraction pooled into the global image scores (t = 3%).
        local_top_t: top-t fraction pooled over the local maps (t = 20%).
        local_patch_fraction: local patch edge as a fraction of the plan's patch edge (at least 8 voxels).
        local_stride: largest stride of the local encoder (the plan's strides capped; ResNet-34-HR: 4).
        patches_train: K, patches per image in training.
        patches_inference: M, patches per image at inference.
        global_map_weight: gamma_c, weight of S_g in the fused map (S_l gets 1 - gamma_c).
    """

    global_downsample: float = 2.0
    scales: int = 3
    scale_weights: tuple[float, ...] = (0.2, 0.6, 0.2)
    min_saliency_stride: int = 4
    global_top_t: float = 0.03
    local_top_t: float = 0.2
    local_patch_fraction: float = 0.25
    local_stride: int = 4
    patches_train: int = 6
    patches_inference: int = 1
    global_map_weight: float = 0.5

    def __post_init__(self) -> None:
        if self.global_downsample < 1 or self.scales < 1 or self.local_stride < 1:
            raise ValueError("GLAM: global_downsample, scales and local_stride must be >= 1")
        if not (0 < self.global_top_t <= 1 and 0 < self.local_top_t <= 1 and 0 < self.local_patch_fraction <= 1):
            raise ValueError("GLAM: top-t fractions and local_patch_fraction must lie in (0, 1]")
        if self.patches_train < 1 or self.patches_inference < 1 or not 0 <= self.global_map_weight <= 1:
            raise ValueError("GLAM: at least one patch, and global_map_weight in [0, 1]")


@dataclass(frozen=True)
class OutputChannels:
    """Where each image-level class's saliency map goes among the network's segmentation outputs.

    ``class_channels[i]``: output channel of class i (None: classification-only class, no map).
    ``background``: softmax outputs (channel 0 is background); False for region (sigmoid) outputs.
    """

    class_channels: tuple[Optional[int], ...]
    background: bool
    num_outputs: int


def class_output_channels(class_names: Sequence[str], groups: dict[str, list[int]], num_outputs: int,
                          background: bool) -> OutputChannels:
    """One output channel per class with a mask: the first of its label channels no earlier class took.

    >>> class_output_channels(["a", "b"], {"a": [1, 2], "b": [1]}, 3, True).class_channels
    (2, 1)

    Raises:
        LabelFileError: two classes have the same single label channel (no separate map per class).
    """
    taken: dict[int, str] = {}
    chosen: dict[str, int] = {}
    for name in sorted(groups, key=lambda n: len(groups[n])):  # the most constrained classes choose first
        free = [c for c in groups[name] if c not in taken]
        if not free:
            raise LabelFileError(f"GLAM needs an output channel of its own for each class with a mask: class "
                                 f"'{name}' (channels {groups[name]}) shares them with class(es) "
                                 f"{sorted({taken[c] for c in groups[name]})}")
        taken[free[0]] = name
        chosen[name] = free[0]
    return OutputChannels(tuple(chosen.get(n) for n in class_names), background, num_outputs)


def store_glam_config(plans: dict, configuration: str, dataset_json: dict, config: GLAMConfig) -> dict:
    """A copy of ``plans`` whose configuration records ``config`` and the class output channels."""
    plans = deepcopy(plans)
    manager = PlansManager(plans)
    label_manager = manager.get_label_manager(dataset_json)
    classes = class_definitions(dataset_json)
    outputs = class_output_channels([c.name for c in classes], class_channel_groups(classes, label_manager),
                                    label_manager.num_segmentation_heads, not label_manager.has_regions)
    plans["configurations"][configuration][GLAM_KEY] = {**asdict(config), "outputs": asdict(outputs)}
    return plans


def read_glam_config(configuration: dict) -> tuple[GLAMConfig, OutputChannels]:
    """The :class:`GLAMConfig` and output channels stored by :func:`store_glam_config`.

    Raises:
        ModelFolderError: the configuration has no GLAM settings (not saved by nnUNetTrainerGLAM).
    """
    stored = configuration.get(GLAM_KEY)
    if not stored:
        raise ModelFolderError(f"the plans configuration has no '{GLAM_KEY}': this model was not trained with "
                               "nnUNetTrainerGLAM")
    names = {f.name for f in fields(GLAMConfig)}
    config = GLAMConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in stored.items() if k in names})
    out = stored["outputs"]
    return config, OutputChannels(tuple(out["class_channels"]), bool(out["background"]), int(out["num_outputs"]))
