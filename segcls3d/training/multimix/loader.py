"""MultiMix batches: every sample as a weak and a strong view of one patch (nnU-Net's transforms).

The batch draws ``1 - unlabeled_fraction`` of its samples from the cases with a mask and the rest
from the cases without one (all ``ignore``: class-label-only and unlabelled cases), as
:class:`~segcls3d.training.semisup.semisup_loader.SemiSupervisedDataLoader` does; a training set in
which every case has a mask gives batches of masked cases only (pseudo labels then come from the
masked cases without a class label).

Views (:mod:`segcls3d.training.semisup.augmentation_split`): the weak view gets nnU-Net's geometric
transforms, the strong view is the weak view plus nnU-Net's intensity transforms (noise, blur,
brightness, contrast, low resolution, gamma), each applied with probability at least
``strong_min_probability`` (None: nnU-Net's own). So the strong view's geometry, and its target,
are the weak view's. ``data`` holds the strong views, ``data_weak`` the weak ones, ``target`` their
common target.
"""
from __future__ import annotations

from typing import Optional

import torch
from batchgeneratorsv2.transforms.utils.compose import ComposeTransforms
from batchgeneratorsv2.transforms.utils.random import RandomTransform
from threadpoolctl import threadpool_limits

from segcls3d.training.semisup.augmentation_split import split_weak_strong
from segcls3d.training.semisup.patch_sampling import collate, crop_case
from segcls3d.training.semisup.semisup_loader import SemiSupervisedDataLoader


def strengthened(transforms: ComposeTransforms, min_probability: Optional[float]) -> ComposeTransforms:
    """Copy of a pipeline of ``RandomTransform``s, each applied with probability >= ``min_probability``.

    Raises:
        ValueError: ``min_probability`` outside [0, 1].
    """
    if min_probability is None:
        return transforms
    if not 0.0 <= min_probability <= 1.0:
        raise ValueError(f"strong_min_probability must be in [0, 1], got {min_probability}")
    return ComposeTransforms([
        RandomTransform(t.transform, max(t.apply_probability, min_probability)) if isinstance(t, RandomTransform)
        else t for t in transforms.transforms])


class MultiMixDataLoader(SemiSupervisedDataLoader):
    """Masked then unmasked patches, each as ``data`` (strong view) and ``data_weak`` (weak view)."""

    def __init__(self, *args, strong_min_probability: Optional[float] = None, **kwargs):
        kwargs.setdefault("require_unlabeled", False)
        super().__init__(*args, **kwargs)
        weak, strong = split_weak_strong(self.transforms)
        self.weak_transforms = weak
        self.strong_transforms = strengthened(strong, strong_min_probability)

    def generate_train_batch(self) -> dict:
        keys = self.get_indices()
        samples = []
        with torch.no_grad(), threadpool_limits(limits=1, user_api=None):
            for j, key in enumerate(keys):
                masked = j < self.n_labeled
                image, target, _ = crop_case(self, key, self.get_do_oversample(j), None if masked else {})
                weak = self.weak_transforms(image=image, segmentation=target)
                strong = self.strong_transforms(image=weak["image"].clone())["image"]
                samples.append({"data": strong, "data_weak": weak["image"], "target": weak["segmentation"]})
        batch = collate(samples)
        batch.update(keys=keys, n_labeled=self.n_labeled)
        return batch
