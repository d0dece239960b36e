"""nnU-Net's data loader, also delivering each patch's soft target, augmented with the patch.

The soft target is cropped with the patch's bounding box and handed to nnU-Net's transforms as
batchgeneratorsv2's ``regression_target``: spatial transforms (rotation, scaling, mirroring,
dummy-2D) move it exactly like the image, with linear interpolation; intensity transforms, which
only touch ``image``, leave it alone. Patches outside the image (padding, zeros) are filled as
background, as nnU-Net does for the segmentation (padding -1 -> label 0).

Batch keys added: ``soft_target`` (B, C, *patch; zeros where a case has none) and ``has_soft`` (B,).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import torch
from nnunetv2.training.dataloading.data_loader import nnUNetDataLoader
from threadpoolctl import threadpool_limits

from segcls3d.training.semisup.patch_sampling import collate, crop_case, crop_extra


def fill_padding_as_background(soft: torch.Tensor, has_regions: bool) -> torch.Tensor:
    """Softmax targets: give the probability mass missing at padded voxels to background (channel 0)."""
    if not has_regions:
        soft[0] += (1.0 - soft.sum(0)).clamp_min(0.0)
    return soft


class SoftTargetDataLoader(nnUNetDataLoader):
    """Same sampling and transforms as nnU-Net; adds the soft target of each patch (where there is one)."""

    def __init__(self, *args, soft_target_folder: Path, num_channels: int, has_regions: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.soft_target_folder = Path(soft_target_folder)
        self.num_soft_channels = int(num_channels)
        self.has_regions = has_regions

    def load_soft_target(self, key: str) -> Optional[np.ndarray]:
        path = self.soft_target_folder / f"{key}.npy"
        return np.load(path, mmap_mode="r") if path.is_file() else None

    def generate_train_batch(self) -> dict:
        keys = self.get_indices()
        samples = []
        with torch.no_grad(), threadpool_limits(limits=1, user_api=None):
            for j, key in enumerate(keys):
                image, target, bbox = crop_case(self, key, self.get_do_oversample(j))
                soft = self.load_soft_target(key)
                inputs = {"image": image, "segmentation": target}
                if soft is not None:
                    inputs["regression_target"] = crop_extra(soft, bbox, self.patch_size_was_2d)
                out = self.transforms(**inputs) if self.transforms is not None else inputs
                if soft is not None:
                    soft_t = fill_padding_as_background(out["regression_target"].float(), self.has_regions)
                else:
                    soft_t = torch.zeros((self.num_soft_channels, *out["image"].shape[1:]), dtype=torch.float32)
                samples.append({"data": out["image"], "target": out["segmentation"], "soft_target": soft_t,
                                "has_soft": torch.tensor(soft is not None)})
        batch = collate(samples)
        batch["keys"] = keys
        return batch
