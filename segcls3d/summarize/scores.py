"""Image-level scores of one class probability map (the "probability" of a rule-based summarizer).

Every score has the signature
``score(probabilities, binary, threshold, label, *, top_k=10, voxel_volume_mm3=1.0) -> float``
where ``binary`` is ``probabilities >= threshold`` (already computed by the caller, Algorithm 1 of
Hooper et al. 2023) and ``label`` the binary image-level label (0/1). Scores are registered by
name in :data:`SCORES`.

All scores except ``soft_volume`` lie in [0, 1] for probability maps in [0, 1]. ``soft_volume``
is an expected lesion volume in mm^3: only a ranking score (fine for AUROC, not calibrated); the
``<class>_probability`` column then holds that volume.

Speed: on a 512x512x300 float32 map nothing here sorts the full array; sums run in float64
without a converted copy and ``topk_mean`` partitions only the foreground when it holds k voxels.
"""
from __future__ import annotations

from typing import Callable, Protocol

import numpy as np


class ScoreFunction(Protocol):
    """Callable turning one class probability map into an image-level score."""

    def __call__(
        self,
        probabilities: np.ndarray,
        binary: np.ndarray,
        threshold: float,
        label: int,
        *,
        top_k: int = 10,
        voxel_volume_mm3: float = 1.0,
    ) -> float: ...


def paper_score(
    probabilities: np.ndarray,
    binary: np.ndarray,
    threshold: float,
    label: int,
    *,
    top_k: int = 10,
    voxel_volume_mm3: float = 1.0,
) -> float:
    """Algorithm 2 of Hooper et al. (2023): mean probability on the side of ``threshold`` the label is on.

    Positive label: mean of the probabilities ``>= threshold`` (the binarized voxels), a value in
    [t, 1]. Negative label: mean of the probabilities ``< threshold``, a value in [0, t).

    Empty sets (documented choice): when the set to average is empty the score is ``threshold``
    itself, the boundary between the two ranges. This happens for a positive label with no voxel
    >= t (only possible with tau = 0), ranking it lowest among positives, and for a negative label
    whose voxels are all >= t (fewer than tau voxels in the whole image), ranking it highest among
    negatives. A zero-size map also gives ``threshold``.

    Example:
        >>> p = np.array([0.9, 0.7, 0.2, 0.0], dtype=np.float32)
        >>> round(paper_score(p, p >= 0.5, 0.5, 1), 6), round(paper_score(p, p >= 0.5, 0.5, 0), 6)
        (0.8, 0.1)
    """
    n_pos = int(np.count_nonzero(binary))
    pos_sum = float(np.sum(probabilities, where=binary, dtype=np.float64)) if n_pos else 0.0
    if label:
        return pos_sum / n_pos if n_pos else float(threshold)
    n_neg = probabilities.size - n_pos
    if n_neg == 0:
        return float(threshold)
    neg_sum = float(np.sum(probabilities, dtype=np.float64)) - pos_sum
    # the subtraction can only drift by rounding error; keep the value inside its range [0, t]
    return min(max(neg_sum / n_neg, 0.0), float(threshold))


def max_score(
    probabilities: np.ndarray,
    binary: np.ndarray,
    threshold: float,
    label: int,
    *,
    top_k: int = 10,
    voxel_volume_mm3: float = 1.0,
) -> float:
    """Highest voxel probability (0.0 for a zero-size map)."""
    return float(np.max(probabilities)) if probabilities.size else 0.0


def topk_mean_score(
    probabilities: np.ndarray,
    binary: np.ndarray,
    threshold: float,
    label: int,
    *,
    top_k: int = 10,
    voxel_volume_mm3: float = 1.0,
) -> float:
    """Mean of the ``top_k`` highest voxel probabilities (k clamped to the number of voxels).

    Uses ``np.partition`` (linear time). When the binarized mask holds at least k voxels the top k
    are all among them, so only those are copied and partitioned. 0.0 for a zero-size map.

    Raises:
        ValueError: ``top_k`` < 1.

    Example:
        >>> p = np.array([0.1, 0.9, 0.3, 0.8], dtype=np.float32)
        >>> round(topk_mean_score(p, p >= 0.5, 0.5, 1, top_k=3), 6)
        0.666667
    """
    if top_k < 1:
        raise ValueError(f"topk_mean: top_k must be >= 1, got {top_k}")
    if probabilities.size == 0:
        return 0.0
    k = min(int(top_k), probabilities.size)
    n_pos = int(np.count_nonzero(binary))
    candidates = probabilities[binary] if n_pos >= k else np.ravel(probabilities)
    top = np.partition(candidates, candidates.size - k)[candidates.size - k :]
    return float(np.mean(top, dtype=np.float64))


def soft_volume_score(
    probabilities: np.ndarray,
    binary: np.ndarray,
    threshold: float,
    label: int,
    *,
    top_k: int = 10,
    voxel_volume_mm3: float = 1.0,
) -> float:
    """Expected lesion volume in mm^3: sum of probabilities times the voxel volume.

    NOT a probability (can exceed 1): use it only to rank cases (AUROC), not as a calibrated value.
    """
    return float(np.sum(probabilities, dtype=np.float64)) * float(voxel_volume_mm3)


SCORES: dict[str, Callable[..., float]] = {
    "paper": paper_score,
    "max": max_score,
    "topk_mean": topk_mean_score,
    "soft_volume": soft_volume_score,
}
"""Score functions by name (the ``score`` argument of :class:`RuleBasedSummarizer`)."""

PROBABILITY_SCORES = frozenset({"paper", "max", "topk_mean"})
"""Names of the scores that stay in [0, 1] (the others are ranking scores only)."""
