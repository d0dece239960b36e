"""Semi-supervised batches where each unlabeled patch comes as a weak and a strong view.

Labeled patches get nnU-Net's full augmentation. An unlabeled patch gets the weak (geometric)
part; its strong view is that weak view plus nnU-Net's intensity transforms (see
:mod:`segcls3d.training.semisup.augmentation_split`). ``data`` holds the labeled patches then the strong
views; ``data_weak`` (n_unlabeled, ...) the weak views, aligned voxel by voxel with the strong ones.
"""
from __future__ import annotations

import torch
from threadpoolctl import threadpool_limits

from segcls3d.training.semisup.augmentation_split import split_weak_strong
from segcls3d.training.semisup.patch_sampling import collate, crop_case
from segcls3d.training.semisup.semisup_loader import SemiSupervisedDataLoader


class WeakStrongDataLoader(SemiSupervisedDataLoader):
    """Adds ``data_weak`` to the batch; unlabeled samples in ``data`` are the strong views."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.weak_transforms, self.strong_transforms = split_weak_strong(self.transforms)

    def generate_train_batch(self) -> dict:
        keys = self.get_indices()
        samples, weak_views = [], []
        with torch.no_grad(), threadpool_limits(limits=1, user_api=None):
            for j, key in enumerate(keys):
                labeled = j < self.n_labeled
                image, target, _ = crop_case(self, key, self.get_do_oversample(j), None if labeled else {})
                if labeled:
                    out = self.transforms(image=image, segmentation=target)
                    samples.append({"data": out["image"], "target": out["segmentation"]})
                    continue
                weak = self.weak_transforms(image=image, segmentation=target)
                weak_views.append(weak["image"])
                strong = self.strong_transforms(image=weak["image"].clone())["image"]
                samples.append({"data": strong, "target": weak["segmentation"]})
        batch = collate(samples)
        batch.update(keys=keys, n_labeled=self.n_labeled, data_weak=torch.stack(weak_views))
        return batch
