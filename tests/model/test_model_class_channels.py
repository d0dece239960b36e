"""class_channel_groups with real nnU-Net LabelManagers (softmax labels and regions)."""
from __future__ import annotations

import pytest
from nnunetv2.utilities.label_handling.label_handling import LabelManager

from segcls3d.errors import LabelFileError
from segcls3d.labels import ClassDefinition, class_definitions
from segcls3d.model.class_channels import class_channel_groups

SOFTMAX = {"background": 0, "fracture": 1, "lesion": 2, "ignore": 3}
REGIONS = {"background": 0, "whole_tumor": [1, 2, 3], "tumor_core": [2, 3], "enhancing": 3}


def test_softmax_default_classes():
    lm = LabelManager(SOFTMAX, regions_class_order=None)
    assert lm.num_segmentation_heads == 3 and not lm.has_regions
    groups = class_channel_groups(class_definitions({"labels": SOFTMAX}), lm)
    assert groups == {"fracture": [1], "lesion": [2]}


def test_softmax_explicit_classes_skip_classification_only():
    data = {"labels": SOFTMAX, "segcls3d": {"classes": {"any": [1, 2], "lesion": [2], "patient_overall": []}}}
    groups = class_channel_groups(class_definitions(data), LabelManager(SOFTMAX, None))
    assert groups == {"any": [1, 2], "lesion": [2]}


@pytest.mark.parametrize("ids", [(3,), (0,), (1, 4), (-1,)])
def test_softmax_ids_that_are_not_outputs(ids):
    with pytest.raises(LabelFileError, match=r"class 'bad'.*not outputs"):
        class_channel_groups([ClassDefinition("bad", ids)], LabelManager(SOFTMAX, None))


def test_region_classes():
    lm = LabelManager(REGIONS, regions_class_order=[1, 2, 3])
    assert lm.has_regions and lm.num_segmentation_heads == 3
    groups = class_channel_groups(class_definitions({"labels": REGIONS}), lm)
    assert groups == {"whole_tumor": [0], "tumor_core": [1], "enhancing": [2]}


def test_region_match_ignores_order_and_skips_classification_only():
    lm = LabelManager(REGIONS, regions_class_order=[1, 2, 3])
    classes = [ClassDefinition("wt", (3, 2, 1)), ClassDefinition("global", ()), ClassDefinition("et", (3,))]
    assert class_channel_groups(classes, lm) == {"wt": [0], "et": [2]}


def test_region_with_ignore_label():
    labels = {"background": 0, "whole": [1, 2], "core": 2, "ignore": 3}
    lm = LabelManager(labels, regions_class_order=[1, 2])
    assert lm.ignore_label == 3
    assert class_channel_groups(class_definitions({"labels": labels}), lm) == {"whole": [0], "core": [1]}


def test_class_that_is_not_a_region():
    lm = LabelManager(REGIONS, regions_class_order=[1, 2, 3])
    with pytest.raises(LabelFileError, match=r"class 'edema' \(labels \[1\]\) is not one of the regions"):
        class_channel_groups([ClassDefinition("edema", (1,))], lm)
