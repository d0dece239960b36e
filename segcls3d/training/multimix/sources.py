"""Which supervision each sample of a MultiMix batch has: a mask, a class label, both, or neither.

Disjoint sources (Haque et al. 2021, Sec. 2) enter nnU-Net as one dataset written by
``segcls3d pseudolabel partial --positives ignore --negatives ignore``: a case without a mask has
nnU-Net's ``ignore`` label everywhere, and classification_labels.csv leaves the class label of a
case empty when it has none. A sample has a mask iff its case has annotated voxels (the loader
draws those first, :mod:`segcls3d.training.multimix.loader`); the patch itself does not tell, since
nnU-Net turns the padding around a crop into background. It has a class label iff its case has a
known one in the CSV: a mask never stands in for a missing class label.

Example:
    >>> import torch
    >>> masked_samples(1, 3).tolist()
    [True, False, False]
"""
from __future__ import annotations

import torch


def masked_samples(n_masked: int, batch_size: int) -> torch.Tensor:
    """(B,) True for the first ``n_masked`` samples: those drawn from cases with a mask."""
    return torch.arange(batch_size) < int(n_masked)


def class_targets(patch_labels: torch.Tensor, case_labels: torch.Tensor, masked: torch.Tensor) -> torch.Tensor:
    """(B, n_classes) class labels of the samples, NaN = none.

    A sample with a mask takes its patch label (from the mask: a crop of a positive case without the
    lesion is negative), one without a mask its case label; both become NaN where the case has no
    class label.

    Example:
        >>> import torch
        >>> nan = float("nan")
        >>> patch, case = torch.tensor([[0.0], [1.0], [nan]]), torch.tensor([[1.0], [nan], [1.0]])
        >>> class_targets(patch, case, torch.tensor([True, True, False])).tolist()
        [[0.0], [nan], [1.0]]
    """
    case_labels = case_labels.to(patch_labels.device).float()
    out = torch.where(masked.to(patch_labels.device)[:, None], patch_labels.float(), case_labels)
    out[torch.isnan(case_labels)] = float("nan")
    return out
