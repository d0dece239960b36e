"""Top-t% pooling against hand computation."""
from __future__ import annotations

import pytest
import torch

from segcls3d.model.glam.pooling import top_t_count, top_t_pool


def test_top_three_percent_of_a_hundred_values():
    maps = torch.arange(1.0, 101.0).reshape(1, 1, 10, 10)  # values 1..100, order shuffled below
    maps = maps.flatten()[torch.randperm(100, generator=torch.Generator().manual_seed(0))].reshape(1, 1, 10, 10)
    assert top_t_pool(maps, 0.03).item() == pytest.approx((98 + 99 + 100) / 3)
    assert top_t_pool(maps, 0.10).item() == pytest.approx(sum(range(91, 101)) / 10)
    assert top_t_pool(maps, 1.0).item() == pytest.approx(50.5)  # t = 100%: global average pooling (CAM)


def test_each_image_and_class_is_pooled_on_its_own_in_3d():
    maps = torch.zeros(2, 3, 4, 5, 5)  # 100 voxels per map: t = 3% keeps 3
    maps[0, 0, 0, 0, :3] = torch.tensor([0.9, 0.6, 0.3])
    maps[0, 1] = 0.25
    maps[1, 2, 3, 4, 4] = 1.0
    pooled = top_t_pool(maps, 0.03)
    expected = torch.tensor([[0.6, 0.25, 0.0], [0.0, 0.0, 1 / 3]])
    assert torch.allclose(pooled, expected)


def test_small_maps_keep_at_least_the_maximum_and_gradient_reaches_only_the_top():
    maps = torch.tensor([[[0.2, 0.7, 0.1, 0.4]]], requires_grad=True)  # 4 positions: 3% -> 1
    assert top_t_count(4, 0.03) == 1
    top_t_pool(maps, 0.03).sum().backward()
    assert maps.grad.tolist() == [[[0.0, 1.0, 0.0, 0.0]]]
    assert top_t_count(1000, 0.03) == 30 and top_t_count(10, 0.2) == 2


@pytest.mark.parametrize("t", [0.0, -0.1, 1.5])
def test_t_outside_the_unit_interval_is_refused(t):
    with pytest.raises(ValueError, match="0 < t <= 1"):
        top_t_pool(torch.zeros(1, 1, 4), t)
