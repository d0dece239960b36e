"""Multi-crop views cut from nnU-Net's preprocessed data with nnU-Net's augmentation."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from nnunetv2.utilities.plans_handling.plans_handler import PlansManager

from segcls3d.training.pretrain.cases import PretrainCases, preprocessed_cases
from segcls3d.training.pretrain.loader import MultiCropLoader
from segcls3d.training.pretrain.run import view_kinds
from segcls3d.training.pretrain.settings import PretrainSettings
from segcls3d.training.pretrain.views import local_view_size, total_strides


@pytest.mark.parametrize("patch, strides, scale, expected", [
    ((128, 128, 128), [[1, 1, 1], [2, 2, 2], [2, 2, 2], [2, 2, 2], [2, 2, 2], [2, 2, 2]], 0.5, (64, 64, 64)),
    ((40, 224, 192), [1, [1, 2, 2], [2, 2, 2], [2, 2, 2], [2, 2, 2]], 0.5, (16, 112, 96)),
    ((48, 48), [[1, 1], [2, 2], [2, 2], [2, 2]], 0.5, (24, 24)),
    ((24, 24, 24), [[1, 1, 1], [2, 2, 2], [2, 2, 2]], 0.3, (4, 4, 4)),
])
def test_local_views_are_smaller_and_divisible_by_the_encoders_stride(patch, strides, scale, expected):
    multiples = total_strides(strides, len(patch))
    size = local_view_size(patch, multiples, scale)
    assert size == expected
    assert all(s % m == 0 and s <= p for s, m, p in zip(size, multiples, patch))


def test_dino_batches_hold_global_then_local_views_of_the_same_cases(tiny_dataset_3d, nnunet_paths):
    folder = nnunet_paths.preprocessed / tiny_dataset_3d.name
    plans = PlansManager(json.loads((folder / f"{tiny_dataset_3d.plans}.json").read_text()))
    manager = plans.get_configuration(tiny_dataset_3d.configuration)
    label_manager = plans.get_label_manager(json.loads((folder / "dataset.json").read_text()))
    settings = PretrainSettings(method="dino", local_views=3)
    kinds = view_kinds(settings, manager)
    assert [(k.name, k.count) for k in kinds] == [("global", 2), ("local", 3)]
    cases = PretrainCases([("", preprocessed_cases(folder / manager.data_identifier))])
    np.random.seed(0)
    batch = MultiCropLoader(cases, 3, kinds, manager, label_manager).generate_train_batch()
    patch = tuple(manager.patch_size)
    assert [tuple(v.shape) for v in batch["views"]] == [(3, 1, *patch)] * 2 + [(3, 1, *kinds[1].size)] * 3
    assert kinds[1].size == tuple(p // 2 for p in patch)
    assert all(torch.isfinite(v).all() and v.std() > 0.1 for v in batch["views"])
    # two global views of one case are two different crops/augmentations, not copies
    first, second = batch["views"][0], batch["views"][1]
    assert all(not torch.equal(first[i], second[i]) for i in range(3))
    assert set(batch["keys"]) <= set(cases.identifiers)
