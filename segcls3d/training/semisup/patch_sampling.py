"""One training sample as nnU-Net's data loader makes it (case -> bbox -> crop/pad), plus extra arrays.

``nnUNetDataLoader.generate_train_batch`` does load, bbox, crop and transform in one loop; our
loaders need the same crop for arrays nnU-Net does not know about (soft targets) or two
augmented views, so the crop is reproduced here with nnU-Net's own ``get_bbox`` and
acvl_utils' ``crop_and_pad_nd`` (image padded with 0, segmentation with -1, as nnU-Net does).
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import torch
from acvl_utils.cropping_and_padding.bounding_boxes import crop_and_pad_nd


def crop_case(loader, key: str, force_fg: bool, class_locations: Optional[dict] = None):
    """(image, segmentation, bbox) of a random patch of case ``key`` for an nnUNetDataLoader.

    ``class_locations`` overrides the case's (pass ``{}`` with ``force_fg=True`` for a uniformly
    random crop without nnU-Net's "no annotated pixels" warning).
    """
    data, seg, seg_prev, properties = loader._data.load_case(key)
    locations = properties["class_locations"] if class_locations is None else class_locations
    lbs, ubs = loader.get_bbox(data.shape[1:], force_fg, locations)
    bbox = [[a, b] for a, b in zip(lbs, ubs)]
    image = torch.from_numpy(crop_and_pad_nd(data, bbox, 0)).float()
    target = torch.from_numpy(crop_and_pad_nd(seg, bbox, -1, cast_cropped_to=np.int16)).to(torch.int16)
    if seg_prev is not None:
        prev = torch.from_numpy(crop_and_pad_nd(seg_prev, bbox, -1, cast_cropped_to=np.int16)).to(torch.int16)
        target = torch.cat((target, prev[None]), dim=0)
    if loader.patch_size_was_2d:
        image, target = image[:, 0], target[:, 0]
    return image, target, bbox


def crop_extra(array: np.ndarray, bbox: Sequence[Sequence[int]], was_2d: bool, pad_value: float = 0.0) -> torch.Tensor:
    """Crop a (C, *case shape) array with the bbox of :func:`crop_case` (float32 tensor)."""
    out = torch.from_numpy(np.array(crop_and_pad_nd(array, [list(b) for b in bbox], pad_value), dtype=np.float32))
    return out[:, 0] if was_2d else out


def collate(samples: list[dict]) -> dict:
    """Stack per-sample tensors (and per-scale lists of tensors) into a batch."""
    batch = {}
    for key in samples[0]:
        first = samples[0][key]
        if isinstance(first, list):
            batch[key] = [torch.stack([s[key][i] for s in samples]) for i in range(len(first))]
        else:
            batch[key] = torch.stack([s[key] for s in samples])
    return batch
