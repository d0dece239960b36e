"""Overlay PNGs: a valid PNG of OVERLAY_SIZE_PX whatever the slice, contours in colour, heat map, failures."""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib.image import imread
from overlay_checks import png_size

from segcls3d.labels import ClassDefinition
from segcls3d.predict.case_arrays import CaseArrays
from segcls3d.predict.contours import class_colours, contour_layer
from segcls3d.predict.overlay_plot import OVERLAY_SIZE_PX, draw_overlay
from segcls3d.predict.overlays import try_overlay, write_case_overlay

RED = np.array([0xE6, 0x19, 0x4B]) / 255  # the first class's colour


def _pixels_near(rgba: np.ndarray, colour: np.ndarray, tol: float = 0.05) -> int:
    return int((np.abs(rgba[..., :3] - colour).max(axis=-1) < tol).sum())


@pytest.mark.parametrize("shape, aspect", [((24, 24), 1.0), ((300, 90), 0.5), ((7, 400), 4.0)])
def test_any_slice_gives_a_png_of_the_fixed_size_with_its_contour(tmp_path, shape, aspect):
    image = np.random.default_rng(0).random(shape)
    mask = np.zeros(shape, dtype=bool)
    mask[1:-1, 1:-1] = True
    layer = contour_layer({"lesion": mask}, class_colours(["lesion"]))
    path = draw_overlay(tmp_path / "o.png", image, layer, "case: lesion p=0.900 positive", class_colours(["lesion"]),
                        aspect=aspect)
    assert png_size(path) == OVERLAY_SIZE_PX
    pixels = imread(path)
    assert pixels.shape == (OVERLAY_SIZE_PX[1], OVERLAY_SIZE_PX[0], 4)
    assert _pixels_near(pixels, RED) > 20  # contour and legend drawn in the class colour
    assert [p.name for p in tmp_path.iterdir()] == ["o.png"]  # no temporary file left


def test_heat_map_tints_only_where_saliency_is_high(tmp_path):
    black = np.zeros((32, 32))
    heat = np.zeros((32, 32))
    heat[12:20, 12:20] = 1.0
    plain = imread(draw_overlay(tmp_path / "a.png", black, None, "t", {}))
    hot = imread(draw_overlay(tmp_path / "b.png", black, None, "t", {}, heat=heat))
    centre = (OVERLAY_SIZE_PX[1] * (1 - 0.13 - 0.36), OVERLAY_SIZE_PX[0] // 2)  # middle of the image axes
    y, x = int(centre[0]), int(centre[1])
    assert plain[y, x, :3].max() < 0.05 and hot[y, x, 0] > 0.3  # black vs. inferno's bright end
    assert np.allclose(plain[y - 150, x - 150], hot[y - 150, x - 150])  # cold corner of the image untouched
    with pytest.raises(ValueError, match="heat shape"):
        draw_overlay(tmp_path / "c.png", black, None, "t", {}, heat=heat[:4])


def test_saliency_argument_and_a_failing_overlay(tmp_path):
    classes = [ClassDefinition("lesion", (1,))]
    shape = (4, 16, 16)
    seg = np.zeros(shape, dtype=np.uint8)
    seg[1, 4:9, 4:9] = 1
    saliency = np.zeros(shape, dtype=np.float32)
    saliency[1, 5:8, 5:8] = 3.0
    arrays = CaseArrays(np.random.default_rng(2).random((1, *shape)), (1.0, 1.0, 1.0), seg, None, saliency)
    row = {"case_id": "s", "lesion_probability": 0.7, "lesion_label": 1}
    view = write_case_overlay(tmp_path / "s.png", "s", arrays, row, classes)
    assert view.slice_index == 1 and png_size(view.path) == OVERLAY_SIZE_PX

    arrays.saliency = saliency[:, :8]  # a map of the wrong shape: this overlay fails, nothing is written
    reason = try_overlay(tmp_path / "bad.png", "bad", arrays, row, classes)
    assert reason is not None and reason.startswith("ValueError") and "heat shape" in reason
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.png"]

    def unreadable() -> CaseArrays:
        raise OSError("input vanished")

    assert try_overlay(tmp_path / "gone.png", "gone", unreadable, row, classes) == "OSError: input vanished"
