"""patch_class_labels: patch-level labels from constructed targets and case labels (ignore-aware)."""
from __future__ import annotations

import math

import pytest
import torch

from segcls3d.training.patch_labels import patch_class_labels

NAN = float("nan")
SHAPE = (6, 6, 6)


def _target(*patches) -> torch.Tensor:
    """Stack (D, H, W) label maps into a (B, 1, D, H, W) softmax target (float, as nnU-Net's loader gives)."""
    return torch.stack([p.float() for p in patches])[:, None]


def _map(**boxes) -> torch.Tensor:
    """A (D, H, W) map with label value v in box slices: _map(**{"1": (slice..)})."""
    m = torch.zeros(SHAPE)
    for value, box in boxes.items():
        m[box] = int(value.lstrip("v"))
    return m


def _assert_labels(result: torch.Tensor, expected) -> None:
    expected = torch.tensor(expected, dtype=torch.float32)
    assert result.shape == expected.shape
    assert result.dtype == torch.float32
    assert torch.equal(torch.isnan(result), torch.isnan(expected)), (result, expected)
    assert torch.equal(torch.nan_to_num(result, -7.0), torch.nan_to_num(expected, -7.0)), (result, expected)


LESION = (slice(1, 3), slice(1, 3), slice(1, 3))
IGNORE = (slice(4, 6), slice(0, 6), slice(0, 6))


@pytest.mark.parametrize("patch, case_label, expected", [
    (_map(v1=LESION), 1.0, 1.0),  # lesion inside the crop
    (_map(), 1.0, 0.0),  # positive case, lesion outside the crop, fully annotated
    (_map(), 0.0, 0.0),  # negative case
    (_map(), NAN, NAN),  # unknown case label, nothing in the crop
    (_map(v1=LESION), NAN, 1.0),  # unknown case label, but the crop shows the lesion
    (_map(v1=LESION), 0.0, 1.0),  # the mask wins over a contradicting case label
])
def test_softmax_single_class_no_ignore(patch, case_label, expected):
    result = patch_class_labels(_target(patch), torch.tensor([[case_label]]), ["lesion"], {"lesion": [1]},
                                has_regions=False, ignore_label=None)
    _assert_labels(result, [[expected]])


@pytest.mark.parametrize("patch, case_label, expected", [
    (_map(v2=IGNORE), 1.0, NAN),  # positive case with ignore voxels and no lesion: the lesion may hide there
    (_map(v2=IGNORE), 0.0, 0.0),  # negative case: still 0
    (_map(v1=LESION, v2=IGNORE), 1.0, 1.0),  # lesion visible despite ignore voxels
    (_map(), 1.0, 0.0),  # fully annotated crop of a positive case
    (_map(v2=IGNORE), NAN, NAN),
])
def test_softmax_with_ignore_label(patch, case_label, expected):
    result = patch_class_labels(_target(patch), torch.tensor([[case_label]]), ["lesion"], {"lesion": [1]},
                                has_regions=False, ignore_label=2)
    _assert_labels(result, [[expected]])


def test_batch_of_mixed_patches_and_input_unchanged():
    target = _target(_map(v1=LESION), _map(), _map(), _map(v2=IGNORE))
    case = torch.tensor([[1.0], [1.0], [0.0], [1.0]])
    case_copy = case.clone()
    result = patch_class_labels(target, case, ["lesion"], {"lesion": [1]}, False, ignore_label=2)
    _assert_labels(result, [[1.0], [0.0], [0.0], [NAN]])
    assert torch.equal(case, case_copy)


def test_multi_class_softmax():
    # labels: 1 = fracture, 2 = lesion, 3 = ignore; "any" = {1, 2}; "patient" is classification-only
    classes = ["fracture", "lesion", "any", "patient"]
    groups = {"fracture": [1], "lesion": [2], "any": [1, 2]}
    target = _target(
        _map(v1=LESION),  # fracture in the crop
        _map(v2=LESION, v3=IGNORE),  # lesion visible, part of the crop unannotated
        _map(v3=IGNORE),  # nothing visible, unannotated parts
        _map(),  # nothing, fully annotated
    )
    case = torch.tensor([
        [1.0, 0.0, 1.0, 1.0],
        [1.0, 1.0, 1.0, NAN],
        [1.0, 0.0, 1.0, 1.0],
        [1.0, NAN, 1.0, 0.0],
    ])
    result = patch_class_labels(target, case, classes, groups, has_regions=False, ignore_label=3)
    _assert_labels(result, [
        [1.0, 0.0, 1.0, 1.0],
        [NAN, 1.0, 1.0, NAN],
        [NAN, 0.0, NAN, 1.0],
        [0.0, NAN, 0.0, 0.0],
    ])


def _regions(*patches, ignore: bool = True) -> torch.Tensor:
    """Region targets (B, R[+1], ...) from label maps, as nnU-Net's ConvertSegmentationToRegionsTransform.

    Regions: whole = {1, 2}, core = {2}; ignore label 3 becomes the last channel.
    """
    out = []
    for p in patches:
        channels = [torch.isin(p, torch.tensor([1.0, 2.0])), p == 2]
        if ignore:
            channels.append(p == 3)
        out.append(torch.stack(channels).float())
    return torch.stack(out)


def test_region_targets_with_ignore_channel():
    target = _regions(_map(v1=LESION), _map(v2=LESION), _map(v3=IGNORE), _map(), _map(v3=IGNORE))
    case = torch.tensor([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    result = patch_class_labels(target, case, ["whole", "core"], {"whole": [0], "core": [1]},
                                has_regions=True, ignore_label=3)
    _assert_labels(result, [[1.0, 0.0], [1.0, 1.0], [NAN, NAN], [0.0, 0.0], [0.0, 0.0]])


def test_region_targets_without_ignore():
    target = _regions(_map(v1=LESION), _map(), ignore=False)
    case = torch.tensor([[1.0, 1.0], [NAN, 1.0]])
    result = patch_class_labels(target, case, ["whole", "core"], {"whole": [0], "core": [1]},
                                has_regions=True, ignore_label=None)
    _assert_labels(result, [[1.0, 0.0], [NAN, 0.0]])


def test_classification_only_class_keeps_case_label():
    case = torch.tensor([[1.0], [NAN], [0.0]])
    result = patch_class_labels(_target(_map(), _map(v1=LESION), _map()), case, ["global"], {}, False, None)
    _assert_labels(result, case.tolist())


def test_2d_patches():
    target = torch.zeros(2, 1, 8, 8)
    target[0, 0, 2:4, 2:4] = 1
    result = patch_class_labels(target, torch.tensor([[1.0], [1.0]]), ["lesion"], {"lesion": [1]}, False, None)
    _assert_labels(result, [[1.0], [0.0]])
    assert not math.isnan(result[1, 0].item())


def test_unannotated_case_takes_the_case_label_only_when_asked():
    """A patch of a class-only case is unknown by default; the multitask rule uses the case label."""
    target = torch.full((2, 1, 4, 4, 4), 2, dtype=torch.int16)  # ignore label = 2 everywhere
    case = torch.tensor([[1.0], [0.0]])
    default = patch_class_labels(target, case, ["lesion"], {"lesion": [1]}, False, 2)
    assert torch.isnan(default[0, 0]) and default[1, 0] == 0
    flags = torch.tensor([True, True])
    multitask = patch_class_labels(target, case, ["lesion"], {"lesion": [1]}, False, 2, unannotated_cases=flags)
    assert multitask[:, 0].tolist() == [1.0, 0.0]


def test_unannotated_is_decided_per_case_not_per_patch():
    """Border padding puts background into a crop of a class-only case: it still takes its case label. An
    all-ignore crop of an annotated case stays unknown (its lesion may lie outside the crop)."""
    target = torch.full((2, 1, 4, 4, 4), 2, dtype=torch.int16)
    target[0, 0, :, :, 3] = 0  # padding of a class-only positive case, background after nnU-Net's transforms
    case = torch.tensor([[1.0], [1.0]])
    flags = torch.tensor([True, False])  # case 0 class-only; case 1 annotated, crop fell in its ignore region
    labels = patch_class_labels(target, case, ["lesion"], {"lesion": [1]}, False, 2, unannotated_cases=flags)
    assert labels[0, 0] == 1.0
    assert torch.isnan(labels[1, 0])


@pytest.mark.parametrize("has_regions", [False, True])
def test_case_labels_where_unannotated_equals_the_multitask_rule(has_regions):
    """Deriving the multitask labels from g's labels gives exactly patch_class_labels(..., True)."""
    from segcls3d.training.patch_labels import with_case_labels_where_unannotated

    generator = torch.Generator().manual_seed(0)
    b, ignore = 40, 3
    maps = torch.randint(0, 3, (b, *SHAPE), generator=generator).float()
    maps[torch.rand(b, *SHAPE, generator=generator) < 0.5] = ignore  # partly ignored patches
    maps[:8] = ignore  # fully unannotated patches
    maps[8:12] = 0  # annotated background only
    if has_regions:  # regions (1,), (1, 2) and the ignore channel last, as nnU-Net's loader gives
        target = torch.stack([(maps == 1) & (maps != ignore), ((maps == 1) | (maps == 2)) & (maps != ignore),
                              maps == ignore], 1).float()
        groups = {"a": [0], "b": [1]}
    else:
        target = maps[:, None]
        groups = {"a": [1], "b": [2]}
    case = torch.randint(0, 2, (b, 3), generator=generator).float()
    case[torch.rand(b, 3, generator=generator) < 0.2] = NAN
    names = ["a", "b", "class_only"]
    plain = patch_class_labels(target, case, names, groups, has_regions, ignore)
    flags = torch.zeros(b, dtype=torch.bool)
    flags[:8] = True  # the fully unannotated patches come from class-only cases
    expected = patch_class_labels(target, case, names, groups, has_regions, ignore, unannotated_cases=flags)
    derived = with_case_labels_where_unannotated(plain, case, flags, names, groups)
    assert torch.equal(torch.nan_to_num(derived, -7.0), torch.nan_to_num(expected, -7.0))
    # the unannotated patches carry their case label in the mask classes, and were unknown for g unless negative
    assert torch.equal(torch.nan_to_num(derived[:8, :2], -7.0), torch.nan_to_num(case[:8, :2], -7.0))
    assert torch.isnan(plain[:8, :2][case[:8, :2] == 1]).all()
