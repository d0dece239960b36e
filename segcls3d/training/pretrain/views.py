"""Multi-crop views cut from nnU-Net's preprocessed data with nnU-Net's own augmentation.

Each view kind has a size: global views have the plan's patch size, local views (DINO's small crops)
a fraction of it, rounded down to a multiple of the encoder's total stride on each axis. A view is
cut like an nnU-Net training patch (a random box of the larger "initial" size nnU-Net computes for
its rotations, padded where the image is smaller) and then goes through
``nnUNetTrainer.get_training_transforms`` for its size: spatial (rotation, scaling, mirroring) and
intensity augmentation, 2D and 3D alike. Labels are never used: boxes are drawn uniformly, and the
segmentation only travels along for nnU-Net's nonzero-mask handling (``use_mask_for_norm``).

Example:
    >>> local_view_size((128, 128, 64), (16, 32, 32), 0.5)
    (64, 64, 32)
    >>> local_view_size((20, 48), (4, 8), 0.5)
    (8, 24)
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Sequence

import numpy as np
import torch
from acvl_utils.cropping_and_padding.bounding_boxes import crop_and_pad_nd
from nnunetv2.training.dataloading.data_loader import nnUNetDataLoader
from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer


@dataclass(frozen=True)
class ViewKind:
    """``count`` views of spatial ``size`` per image."""

    name: str
    size: tuple[int, ...]
    count: int


def total_strides(strides: Sequence[Sequence[int] | int], dims: int) -> tuple[int, ...]:
    """Product of the encoder's per-stage strides on each axis (``arch_kwargs['strides']``)."""
    total = np.ones(dims, dtype=int)
    for stride in strides:
        total *= np.broadcast_to(np.asarray(stride, dtype=int), (dims,))
    return tuple(int(t) for t in total)


def local_view_size(patch_size: Sequence[int], multiples: Sequence[int], scale: float) -> tuple[int, ...]:
    """``patch_size * scale`` rounded down to ``multiples`` (at least one multiple) on each axis."""
    return tuple(max(m, int(p * scale) // m * m) for p, m in zip(patch_size, multiples))


def nnunet_augmentation(view_size: Sequence[int], configuration_manager, label_manager):
    """nnU-Net's training transforms for patches of ``view_size`` and the larger initial crop size they need.

    The rotation range, dummy-2D and mirroring choices are those of
    ``nnUNetTrainer.configure_rotation_dummyDA_mirroring_and_inital_patch_size``, computed for the view's size
    (it reads only the patch size, so it runs on a stand-in for the trainer). No deep supervision targets.
    """
    stand_in = SimpleNamespace(configuration_manager=SimpleNamespace(patch_size=list(view_size)),
                               print_to_log_file=lambda *args, **kwargs: None)
    rotation, dummy_2d, initial_size, mirror_axes = \
        nnUNetTrainer.configure_rotation_dummyDA_mirroring_and_inital_patch_size(stand_in)
    regions = label_manager.foreground_regions if label_manager.has_regions else None
    transforms = nnUNetTrainer.get_training_transforms(
        list(view_size), rotation, None, mirror_axes, dummy_2d,
        use_mask_for_norm=configuration_manager.use_mask_for_norm, is_cascaded=False,
        foreground_labels=label_manager.foreground_labels, regions=regions, ignore_label=label_manager.ignore_label)
    return transforms, tuple(int(s) for s in initial_size)


class ViewCropper(nnUNetDataLoader):
    """Cuts one augmented view of one kind from a loaded case (nnU-Net's box sampling and transforms).

    Not iterated itself: :class:`MultiCropLoader` calls :meth:`view` for every view of a case.
    """

    def __init__(self, data, kind: ViewKind, configuration_manager, label_manager):
        transforms, initial_size = nnunet_augmentation(kind.size, configuration_manager, label_manager)
        super().__init__(data, 1, initial_size, kind.size, label_manager, transforms=transforms)
        self.kind = kind
        self.has_ignore = False  # boxes uniformly over the image: labels (and annotated regions) are not used

    def view(self, data, seg) -> torch.Tensor:
        """One augmented view (C, *size) of the image ``data`` (C, *spatial) with its mask ``seg``."""
        bbox_lbs, bbox_ubs = self.get_bbox(data.shape[1:], False, None)
        bbox = [[lo, hi] for lo, hi in zip(bbox_lbs, bbox_ubs)]
        image = torch.from_numpy(crop_and_pad_nd(data, bbox, 0)).float()
        mask = torch.from_numpy(crop_and_pad_nd(seg, bbox, -1, cast_cropped_to=np.int16)).to(torch.int16)
        if self.patch_size_was_2d:
            image, mask = image[:, 0], mask[:, 0]
        return self.transforms(image=image, segmentation=mask)["image"]
