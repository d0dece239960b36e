"""Online validation: image-level scores of validation *patches* and their AUROC.

nnU-Net's per-epoch validation runs on random patches and reports a "pseudo Dice". Next to it the
SegCls trainers summarize each validation patch with g and log a "pseudo AUROC" against the patch
labels (see ``patch_labels``). The summarizer only runs at validation, so training costs the same.
"""
from __future__ import annotations

import warnings
from typing import Mapping, Sequence

import numpy as np
import torch

from segcls3d.metrics.auroc import compute_auroc
from segcls3d.summarize import class_probability_maps


def auroc_or_nan(labels: np.ndarray, scores: np.ndarray) -> float:
    """AUROC over the known labels (NaN labels dropped); NaN, without a warning, if only one class is left."""
    known = ~np.isnan(labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # logged every epoch: NaN in the log is enough
        return compute_auroc(labels[known], scores[known])


def per_class_auroc(labels: np.ndarray, scores: np.ndarray) -> list[float]:
    """AUROC of each column of (N, n_classes) labels and scores."""
    return [auroc_or_nan(labels[:, j], scores[:, j]) for j in range(labels.shape[1])]


def output_probabilities(logits: torch.Tensor, has_regions: bool) -> torch.Tensor:
    """Softmax (labels) or sigmoid (regions) of network logits."""
    return torch.sigmoid(logits.float()) if has_regions else torch.softmax(logits.float(), 1)


def patch_scores(logits: torch.Tensor, summarizer, channel_groups: Mapping[str, Sequence[int]],
                 class_names: Sequence[str], spacing: Sequence[float], has_regions: bool) -> np.ndarray:
    """(B, n_classes) probabilities of g for each patch of a batch; NaN for classes without a mask."""
    probs = output_probabilities(logits, has_regions).cpu().numpy()
    scores = np.full((probs.shape[0], len(class_names)), np.nan, dtype=np.float32)
    for b in range(probs.shape[0]):
        summary = summarizer.summarize(class_probability_maps(probs[b], channel_groups), spacing[-(probs.ndim - 2):])
        for j, name in enumerate(class_names):
            if name in summary:
                scores[b, j] = summary[name].probability
    return scores
