"""Disjoint sources in a partial dataset (``--negatives ignore``) and the weak/strong views of the loader."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from batchgeneratorsv2.transforms.utils.random import RandomTransform
from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

from segcls3d.labels import ClassDefinition
from segcls3d.pseudolabels.partial import partial_action
from segcls3d.training.multimix.loader import strengthened
from segcls3d.training.semisup.augmentation_split import split_weak_strong

LESION = [ClassDefinition("lesion", (1,))]


@pytest.mark.parametrize("label, negatives, expected", [
    ([0.0], "background", "background"),  # the stock rule: a negative image has an empty mask
    ([0.0], "ignore", "ignore"),  # MultiMix: a class label only, no segmentation supervision
    ([1.0], "ignore", "ignore"),
    ([np.nan], "ignore", "ignore"),  # neither
])
def test_partial_action_with_negatives(label, negatives, expected):
    assert partial_action(np.array(label), LESION, "ignore", negatives)[0] == expected


def test_partial_action_rejects_unknown_negatives():
    with pytest.raises(ValueError, match="negatives"):
        partial_action(np.array([0.0]), LESION, "ignore", "drop")


def _nnunet_transforms():
    return nnUNetTrainer.get_training_transforms((16, 16), (-0.5, 0.5), None, (0, 1), False)


def test_strong_view_is_nnunets_intensity_transforms_applied_more_often():
    weak, strong = split_weak_strong(_nnunet_transforms())
    raised = strengthened(strong, 0.5)
    assert len(raised.transforms) == len(strong.transforms) >= 5
    for before, after in zip(strong.transforms, raised.transforms):
        assert isinstance(after, RandomTransform) and after.transform is before.transform  # nnU-Net's own
        assert after.apply_probability == max(before.apply_probability, 0.5)
    assert strengthened(strong, None) is strong
    with pytest.raises(ValueError):
        strengthened(strong, 1.5)
    # every transform at probability 1: the intensities change, the weak view's geometry (and target) stay
    torch.manual_seed(0)
    image = torch.rand(1, 16, 16) + torch.linspace(0, 1, 16)[None, :, None]
    view = weak(image=image, segmentation=(image > 1).to(torch.int16))
    strong_view = strengthened(strong, 1.0)(image=view["image"].clone())["image"]
    assert strong_view.shape == view["image"].shape and not torch.allclose(strong_view, view["image"])
    assert np.corrcoef(strong_view.flatten().numpy(), view["image"].flatten().numpy())[0, 1] > 0.5
