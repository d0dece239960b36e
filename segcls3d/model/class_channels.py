"""Which output channels of an nnU-Net network make up each image-level class."""
from __future__ import annotations

from typing import Sequence

from segcls3d.errors import LabelFileError
from segcls3d.labels import ClassDefinition


def class_channel_groups(classes: Sequence[ClassDefinition], label_manager) -> dict[str, list[int]]:
    """Map each class that has a mask to the indices of the network outputs that form it.

    With softmax training the output channel of a label is its id (nnU-Net requires consecutive
    labels); with region-based training each output channel is one region, and a class must equal a
    region. Classification-only classes (no label ids) are left out.

    Raises:
        LabelFileError: a class of a region-based dataset does not match any region.
    """
    groups: dict[str, list[int]] = {}
    if not label_manager.has_regions:
        n_out = label_manager.num_segmentation_heads
        for c in classes:
            if not c.label_ids:
                continue
            bad = [i for i in c.label_ids if i <= 0 or i >= n_out]
            if bad:
                raise LabelFileError(f"class '{c.name}': label id(s) {bad} are not outputs of this network")
            groups[c.name] = list(c.label_ids)
        return groups
    regions = [tuple(r) if isinstance(r, (list, tuple)) else (r,) for r in label_manager.foreground_regions]
    for c in classes:
        if not c.label_ids:
            continue
        matches = [i for i, r in enumerate(regions) if set(r) == set(c.label_ids)]
        if not matches:
            raise LabelFileError(
                f"class '{c.name}' (labels {list(c.label_ids)}) is not one of the regions {regions} of this "
                "region-based dataset; define classes as regions in dataset.json"
            )
        groups[c.name] = [matches[0]]
    return groups
