"""Whole-image input for the classification baseline: resample to fit the patch, pad to a canvas.

A classifier must never see a random crop with a label the crop may not contain, so it sees the
whole (preprocessed) image, shrunk uniformly to fit the plan's patch size if larger, as the paper's
128^3 SPINE volumes.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from segcls3d.errors import InputDataError


def spatial_for_patch(array: torch.Tensor, patch_size: Sequence[int], case_id: str = "") -> torch.Tensor:
    """Drop the singleton slice axis of 2D data when the plan is 2d; reject 3D data for a 2d plan."""
    if len(patch_size) == array.ndim - 1:
        return array
    if len(patch_size) == array.ndim - 2:
        if array.shape[1] != 1:
            raise InputDataError(
                f"case '{case_id}' has {array.shape[1]} slices but the configuration is 2d: an image-level "
                "classifier needs the whole image, use a 3d configuration for volumes"
            )
        return array[:, 0]
    raise InputDataError(f"case '{case_id}': array of shape {tuple(array.shape)} does not fit patch "
                         f"{tuple(patch_size)}")


def fit_scale(shape: Sequence[int], patch_size: Sequence[int]) -> float:
    """Uniform scale factor (<= 1) that makes ``shape`` fit inside ``patch_size``."""
    return float(min(1.0, *(p / s for p, s in zip(patch_size, shape))))


def fit_to_canvas(
    image: torch.Tensor,
    patch_size: Sequence[int],
    canvas: Optional[Sequence[int]] = None,
    seg: Optional[torch.Tensor] = None,
    pad_value_seg: int = 0,
) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Resize (C, *spatial) to fit ``patch_size`` (keeping aspect ratio) and center it on ``canvas``.

    Image: (tri/bi)linear interpolation, padding 0 (nnU-Net's normalized background). Seg: nearest,
    padded with ``pad_value_seg``.
    """
    canvas = tuple(int(c) for c in (canvas if canvas is not None else patch_size))
    shape = image.shape[1:]
    scale = fit_scale(shape, patch_size)
    if scale < 1.0:
        new_shape = [max(1, int(round(s * scale))) for s in shape]
        mode = "trilinear" if len(shape) == 3 else "bilinear"
        image = F.interpolate(image[None].float(), size=new_shape, mode=mode, align_corners=False)[0]
        if seg is not None:
            seg = F.interpolate(seg[None].float(), size=new_shape, mode="nearest")[0].to(seg.dtype)
    image_out = torch.zeros((image.shape[0], *canvas), dtype=torch.float32)
    seg_out = None if seg is None else torch.full((seg.shape[0], *canvas), pad_value_seg, dtype=seg.dtype)
    src, dst = [], []
    for s, c in zip(image.shape[1:], canvas):
        if s <= c:
            start = (c - s) // 2
            src.append(slice(0, s))
            dst.append(slice(start, start + s))
        else:  # canvas smaller than the image (should not happen: canvas >= patch)
            start = (s - c) // 2
            src.append(slice(start, start + c))
            dst.append(slice(0, c))
    image_out[(slice(None), *dst)] = image[(slice(None), *src)]
    if seg is not None:
        seg_out[(slice(None), *dst)] = seg[(slice(None), *src)]
    return image_out, seg_out


@torch.inference_mode()
def classify_whole_image(
    network: torch.nn.Module,
    data: np.ndarray | torch.Tensor,
    patch_size: Sequence[int],
    device: torch.device,
    mirror_axes: Optional[Sequence[int]] = None,
    case_id: str = "",
) -> np.ndarray:
    """Class probabilities (sigmoid) of a preprocessed case, averaged over mirrored copies."""
    image = torch.as_tensor(np.asarray(data) if not isinstance(data, torch.Tensor) else data).float()
    image = spatial_for_patch(image, patch_size, case_id)
    image, _ = fit_to_canvas(image, patch_size)
    x = image[None].to(device)
    network.eval()
    logits = [network(x)]
    for axis in mirror_axes or ():
        logits.append(network(torch.flip(x, (axis + 2,))))
    probs = torch.sigmoid(torch.stack(logits).float()).mean(0)[0]
    return probs.cpu().numpy()
