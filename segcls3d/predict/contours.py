"""Mask contours drawn into an RGBA layer, one distinct colour per class (pure numpy, no plotting).

Example:
    >>> mask = np.zeros((5, 5), dtype=bool); mask[1:4, 1:4] = True
    >>> int(contour(mask).sum())  # the 3x3 square's 8 border pixels
    8
    >>> layer = contour_layer({"lesion": mask}, class_colours(["lesion"]))
    >>> layer.shape, float(layer[2, 2, 3]), float(layer[1, 1, 3])
    ((5, 5, 4), 0.0, 1.0)
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from scipy.ndimage import binary_erosion

Colour = tuple[float, float, float]
# distinct on a grey image (no grey, no black, no white); cycled beyond ten classes
PALETTE_HEX = ("#e6194b", "#3cb44b", "#4363d8", "#ffe119", "#f032e6",
               "#42d4f4", "#f58231", "#911eb4", "#bfef45", "#fabed4")


def class_colours(names: Sequence[str]) -> dict[str, Colour]:
    """Class name -> RGB in [0, 1], in :data:`PALETTE_HEX` order."""
    def rgb(code: str) -> Colour:
        return tuple(int(code[i:i + 2], 16) / 255.0 for i in (1, 3, 5))  # type: ignore[return-value]

    return {name: rgb(PALETTE_HEX[i % len(PALETTE_HEX)]) for i, name in enumerate(names)}


def contour_thickness(shape: Sequence[int], per_pixels: int = 256) -> int:
    """Contour width in pixels: 1, plus 1 per ``per_pixels`` of the longer side (visible on large images)."""
    return max(1, round(max(shape) / per_pixels))


def contour(mask: np.ndarray, thickness: int = 1) -> np.ndarray:
    """The inner border of a 2D mask, ``thickness`` pixels wide (pixels at the image edge count as border).

    Raises:
        ValueError: ``mask`` is not 2D or ``thickness`` < 1.
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 2 or thickness < 1:
        raise ValueError(f"need a 2D mask and thickness >= 1, got shape {mask.shape}, thickness {thickness}")
    if not mask.any():
        return mask.copy()
    return mask & ~binary_erosion(mask, iterations=thickness, border_value=0)


def contour_layer(masks: Mapping[str, np.ndarray], colours: Mapping[str, Colour], thickness: int = 1) -> np.ndarray:
    """RGBA float32 image ``(H, W, 4)``: each class's contour opaque in its colour (later classes on top).

    Raises:
        ValueError: no masks, masks of different shapes, or a class without a colour.
    """
    if not masks:
        raise ValueError("contour_layer needs at least one mask")
    shapes = {np.shape(m) for m in masks.values()}
    if len(shapes) != 1:
        raise ValueError(f"masks have different shapes: {sorted(shapes)}")
    layer = np.zeros((*shapes.pop(), 4), dtype=np.float32)
    for name, mask in masks.items():
        if name not in colours:
            raise ValueError(f"no colour for class {name!r}")
        edge = contour(mask, thickness)
        layer[edge, :3] = colours[name]
        layer[edge, 3] = 1.0
    return layer
