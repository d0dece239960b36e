"""A map on the classifier's canvas back on the grid of the image it was made from.

The classifier sees each image shrunk to fit its patch (if larger) and centred on a canvas
(:func:`segcls3d.model.whole_image.fit_to_canvas`); :func:`canvas_to_image` cuts the image's part
out of a map on that canvas and resizes it to the image's shape, undoing both steps.

Example:
    >>> import torch
    >>> canvas = torch.zeros(1, 8, 8); canvas[0, 2:6, 3:5] = 1.0  # an image of shape (4, 2) centred on 8 x 8
    >>> canvas_to_image(canvas, (4, 2), (8, 8)).tolist()
    [[[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]]
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from segcls3d.model.whole_image import fit_scale


def canvas_to_image(maps: torch.Tensor, image_shape: Sequence[int], patch_size: Sequence[int]) -> torch.Tensor:
    """``maps`` ``(C, *canvas)`` -> ``(C, *image_shape)``: the centred part, resized (linear) if it was shrunk."""
    scale = fit_scale(image_shape, patch_size)
    fitted = [max(1, int(round(s * scale))) for s in image_shape] if scale < 1.0 else [int(s) for s in image_shape]
    slices = []
    for s, c in zip(fitted, maps.shape[1:]):
        start = (c - s) // 2 if s <= c else 0
        slices.append(slice(start, start + min(s, c)))
    part = maps[(slice(None), *slices)]
    if tuple(part.shape[1:]) == tuple(int(s) for s in image_shape):
        return part
    mode = "trilinear" if len(image_shape) == 3 else "bilinear"
    return F.interpolate(part[None].float(), size=[int(s) for s in image_shape], mode=mode, align_corners=False)[0]
