"""Image-level labels of a training *patch*, derived from its target and the case label.

A random crop of a positive case may not contain the lesion, so the case label cannot be used for
the patch as is. The patch label is: 1 if the patch target contains the class; 0 if it does not and
either the case is negative or the patch is fully annotated (no ignore voxels) with a known case
label; otherwise unknown (NaN, no classification loss).
"""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

import torch


def patch_class_labels(
    target: torch.Tensor,
    case_labels: torch.Tensor,
    class_names: Sequence[str],
    channel_groups: Mapping[str, Sequence[int]],
    has_regions: bool,
    ignore_label: Optional[int],
    unannotated_cases: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """Return (B, n_classes) float labels for the patches of a batch.

    Args:
        target: label map (B, 1, *spatial) for softmax training, or region targets (B, R[+1], *spatial)
            (last channel = ignore) for region-based training; the highest-resolution target.
        case_labels: (B, n_classes) case-level labels, NaN = unknown.
        class_names: classes in column order of ``case_labels``.
        channel_groups: class -> label ids (softmax) or region indices (regions); classes absent from it
            are classification-only and keep the case label.
        unannotated_cases: (B,) bool, True where the patch comes from a case without any annotated voxel
            (mask all ``ignore``: a class-only case, see :mod:`segcls3d.training.unannotated`); such a
            patch gets its case label instead of "unknown" (the multitask trainer's rule for cases that
            have an image-level label but no mask). Decided per case, not per patch: the loader pads
            crops at the image border with background, so a patch of a class-only case is not always
            all ``ignore``.
    """
    b = target.shape[0]
    out = case_labels.clone().float()
    flat = target.reshape(b, target.shape[1], -1)
    if ignore_label is None:
        annotated = torch.ones(b, dtype=torch.bool)
    elif has_regions:
        annotated = ~(flat[:, -1].bool()).any(1)
    else:
        annotated = ~(flat[:, 0] == ignore_label).any(1)
    annotated = annotated.to(out.device)
    for j, name in enumerate(class_names):
        if name not in channel_groups:
            continue
        ids = list(channel_groups[name])
        if has_regions:
            present = flat[:, ids].bool().reshape(b, -1).any(1)
        else:
            present = torch.zeros(b, dtype=torch.bool, device=flat.device)
            for i in ids:
                present |= (flat[:, 0] == i).any(1)
        present = present.to(out.device)
        case = case_labels[:, j].to(out.device)
        label = torch.full((b,), float("nan"), device=out.device)
        label[(case == 0)] = 0.0
        label[(case == 1) & annotated] = 0.0
        label[present] = 1.0
        out[:, j] = label
    if unannotated_cases is not None:
        out = with_case_labels_where_unannotated(out, case_labels, unannotated_cases, class_names, channel_groups)
    return out


def with_case_labels_where_unannotated(labels: torch.Tensor, case_labels: torch.Tensor, unannotated: torch.Tensor,
                                       class_names: Sequence[str], channel_groups: Mapping[str, Sequence[int]]
                                       ) -> torch.Tensor:
    """Labels of :func:`patch_class_labels` turned into those with ``unannotated_cases``, without deriving
    them again: a copy where the rows of patches of unannotated cases hold the case label (mask classes only;
    such a case has no foreground, so no 1 is overwritten)."""
    out = labels.clone()
    unannotated = unannotated.to(out.device)
    for j, name in enumerate(class_names):
        if name in channel_groups:
            out[unannotated, j] = case_labels[:, j].to(out.device)[unannotated].to(out.dtype)
    return out

