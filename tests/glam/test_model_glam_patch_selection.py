"""Greedy patch selection on constructed saliency maps: known argmax boxes, no overlap, 2D and 3D."""
from __future__ import annotations

import itertools

import pytest
import torch

from segcls3d.model.glam.patch_selection import (
    box_sums,
    crop_patches,
    paste_patches,
    random_patches,
    select_patches,
)


def _overlap(a, b, patch) -> bool:
    return all(abs(x - y) < p for x, y, p in zip(a, b, patch))


def test_blobs_are_found_in_order_of_their_saliency():
    s = torch.zeros(1, 32, 32)
    s[0, 20:28, 2:10] = 0.9   # the strongest blob, exactly one 8x8 box
    s[0, 4:12, 16:24] = 0.6
    s[0, 24:32, 24:32] = 0.3
    assert select_patches(s, (8, 8), 3) == [(20, 2), (4, 16), (24, 24)]


def test_a_large_region_is_tiled_without_overlap():
    s = torch.zeros(1, 32, 32)
    s[0, 8:24, 4:20] = 1.0  # 16 x 16: four disjoint 8 x 8 boxes fit exactly
    starts = select_patches(s, (8, 8), 5)
    assert starts[:4] == [(8, 4), (8, 12), (16, 4), (16, 12)]
    for a, b in itertools.combinations(starts, 2):
        assert not _overlap(a, b, (8, 8))


def test_boxes_in_3d():
    s = torch.zeros(1, 16, 16, 16)
    s[0, 1:5, 10:14, 3:7] = 2.0
    s[0, 9:13, 2:6, 11:15] = 1.0
    assert select_patches(s, (4, 4, 4), 2) == [(1, 10, 3), (9, 2, 11)]


def test_classes_are_min_max_normalised_before_summing():
    s = torch.zeros(2, 24, 24)
    s[0, 0:4, 0:4] = 100.0   # class 0: strong blob A
    s[0, 10:14, 10:14] = 50.0  # class 0: weaker blob C (half of A after normalisation)
    s[1, 20:24, 0:4] = 1.0   # class 1: small values, but its maximum counts as much as A's
    starts = select_patches(s, (4, 4), 3)
    assert set(starts[:2]) == {(0, 0), (20, 0)} and starts[2] == (10, 10)


def test_no_room_left_falls_back_to_the_zeroed_map():
    s = torch.arange(64.0).reshape(1, 8, 8)
    first, second = select_patches(s, (6, 6), 2)
    assert first == (2, 2)  # the brightest corner
    assert second != first  # its region zeroed: another box is chosen, overlapping as the paper allows


def test_box_sums_match_brute_force():
    g = torch.Generator().manual_seed(1)
    for shape, patch in (((9, 7), (3, 2)), ((5, 6, 7), (2, 3, 4))):
        values = torch.rand(shape, generator=g)
        sums = box_sums(values, patch)
        for start in itertools.product(*(range(n - p + 1) for n, p in zip(shape, patch))):
            box = values[tuple(slice(s, s + p) for s, p in zip(start, patch))]
            assert sums[start].item() == pytest.approx(box.sum().item())


def test_random_patches_do_not_overlap_while_there_is_room():
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        starts = random_patches((24, 24, 24), (8, 8, 8), 6, generator=g)
        assert len(starts) == 6
        for a, b in itertools.combinations(starts, 2):
            assert not _overlap(a, b, (8, 8, 8))


def test_crop_and_paste_put_patches_back_where_they_were():
    image = torch.rand(2, 12, 10)
    starts = [(0, 0), (6, 5)]
    patches = crop_patches(image, starts, (4, 5))
    assert patches.shape == (2, 2, 4, 5)
    pasted = paste_patches(patches, starts, (12, 10))
    assert torch.equal(pasted[:, 0:4, 0:5], image[:, 0:4, 0:5]) and torch.equal(pasted[:, 6:10, 5:10],
                                                                                   image[:, 6:10, 5:10])
    assert pasted[:, 4:6].abs().sum() == 0


def test_patch_larger_than_the_map_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        select_patches(torch.zeros(1, 4, 4), (5, 2), 1)
