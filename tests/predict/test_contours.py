"""Mask contours: the inner border in each class's colour, nothing inside, distinct colours."""
from __future__ import annotations

import numpy as np
import pytest

from segcls3d.predict.contours import PALETTE_HEX, class_colours, contour, contour_layer, contour_thickness


def test_contour_of_a_square_is_its_border():
    mask = np.zeros((9, 9), dtype=bool)
    mask[2:7, 2:7] = True  # 5x5
    edge = contour(mask)
    assert edge.sum() == 16 and not edge[3:6, 3:6].any() and edge[2, 2] and not edge[0, 0]
    assert contour(mask, thickness=2).sum() == 24  # 25 - the 1x1 centre
    full = np.ones((4, 4), dtype=bool)
    assert contour(full).sum() == 12  # the image edge counts as border
    assert not contour(np.zeros((3, 3), dtype=bool)).any()
    with pytest.raises(ValueError):
        contour(np.ones((2, 2, 2), dtype=bool))


def test_layer_paints_each_class_in_its_colour():
    a = np.zeros((8, 8), dtype=bool)
    a[1:5, 1:5] = True
    b = np.zeros((8, 8), dtype=bool)
    b[4:7, 4:7] = True
    colours = class_colours(["a", "b"])
    layer = contour_layer({"a": a, "b": b}, colours)
    assert layer.shape == (8, 8, 4) and layer.dtype == np.float32
    assert tuple(layer[1, 1, :3]) == pytest.approx(colours["a"]) and layer[1, 1, 3] == 1.0
    assert tuple(layer[4, 4, :3]) == pytest.approx(colours["b"])  # the later class on top where borders meet
    assert layer[2, 2, 3] == 0.0 and layer[0, 0, 3] == 0.0  # inside and outside stay transparent
    assert colours["a"] == pytest.approx((0xE6 / 255, 0x19 / 255, 0x4B / 255))
    with pytest.raises(ValueError, match="different shapes"):
        contour_layer({"a": a, "b": b[:4]}, colours)
    with pytest.raises(ValueError, match="no colour"):
        contour_layer({"c": a}, colours)


def test_colours_are_distinct_and_not_grey():
    colours = list(class_colours([f"C{i}" for i in range(len(PALETTE_HEX))]).values())
    assert len(set(colours)) == len(PALETTE_HEX)
    assert all(max(c) - min(c) > 0.2 for c in colours)  # visible on a grey image
    assert contour_thickness((24, 24)) == 1 and contour_thickness((512, 512)) == 2
