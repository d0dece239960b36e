"""Split nnU-Net's training augmentation into a weak (geometric) and a strong (intensity) part.

FixMatch-style training needs two views of an unlabeled patch whose predictions can be compared
voxel by voxel. The weak view gets nnU-Net's geometric transforms (spatial transform with
rotation/scaling, mirroring, dummy-2D, label handling, deep-supervision downsampling); the strong
view is the weak view plus nnU-Net's intensity transforms (noise, blur, brightness, contrast,
low resolution, gamma), i.e. every ``RandomTransform`` around an image-only transform. Both views
share one geometry, so the teacher's prediction on the weak view is a pixel-aligned target for the
student on the strong view. Applying weak then strong is nnU-Net's pipeline with the intensity
transforms moved after mirroring (they commute with flips).
"""
from __future__ import annotations

from batchgeneratorsv2.transforms.base.basic_transform import ImageOnlyTransform
from batchgeneratorsv2.transforms.utils.compose import ComposeTransforms
from batchgeneratorsv2.transforms.utils.random import RandomTransform

from segcls3d.errors import SegCls3dError


def is_intensity_transform(transform) -> bool:
    """A randomly applied transform that changes only the image."""
    return isinstance(transform, RandomTransform) and isinstance(transform.transform, ImageOnlyTransform)


def split_weak_strong(transforms) -> tuple[ComposeTransforms, ComposeTransforms]:
    """(weak, strong) pipelines from nnU-Net's training ``ComposeTransforms``.

    Raises:
        SegCls3dError: ``transforms`` is not a ComposeTransforms, or has no geometric part.
    """
    if not isinstance(transforms, ComposeTransforms):
        raise SegCls3dError(f"expected nnU-Net's ComposeTransforms for training, got {type(transforms).__name__}")
    strong = [t for t in transforms.transforms if is_intensity_transform(t)]
    weak = [t for t in transforms.transforms if not is_intensity_transform(t)]
    if not weak:
        raise SegCls3dError("the training transforms have no geometric part to share between the two views")
    return ComposeTransforms(weak), ComposeTransforms(strong)
