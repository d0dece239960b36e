"""Out-of-fold scores a summarizer gives cases it was not fitted on: what a calibrator is fitted on.

The rule-based g fits nothing, so its scores on the out-of-fold cases are already honest
(:func:`rule_scores`). A trained summarizer has seen every out-of-fold case, so its scores on them
are optimistic; :func:`cross_fitted_threshold_scores` and :func:`cross_fitted_head_scores` refit it
once per split without that split's cases and score the split (scikit-learn's
``CalibratedClassifierCV(ensemble=False)`` does the same with ``cross_val_predict``). Heads reuse the
learning rate chosen on all cases. Splits are the model's folds (:func:`case_splits`).
"""
from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
from tqdm import tqdm

from segcls3d.summarize.rule_based import RuleBasedSummarizer
from segcls3d.summarize.trained.model_info import ModelInfo
from segcls3d.summarize.trained.out_of_fold import OutOfFoldCase, load_case_maps
from segcls3d.summarize.trained.threshold import statistics_scores, tune_class
from segcls3d.summarize.trained.training import TrainSettings, predict_probabilities, train_head

logger = logging.getLogger(__name__)
MAX_SPLITS = 5


def case_splits(cases: Sequence[OutOfFoldCase], y: np.ndarray, seed: int = 0) -> tuple[np.ndarray, str]:
    """A split number per case, and how the splits were made.

    The model's folds when the cases come from two or more; otherwise up to :data:`MAX_SPLITS`
    splits stratified on the first class (unknown labels are their own stratum).
    """
    folds = [str(c.fold) for c in cases]
    names = sorted(set(folds))
    if len(names) >= 2:
        return np.array([names.index(f) for f in folds]), f"model folds {names}"
    from sklearn.model_selection import KFold, StratifiedKFold

    strata = np.where(np.isnan(y[:, 0]), -1, y[:, 0]).astype(int)
    smallest = int(np.unique(strata, return_counts=True)[1].min())
    n_splits = min(MAX_SPLITS, len(cases))
    if smallest >= 2:
        n_splits = min(n_splits, smallest)
        splitter, labels, how = StratifiedKFold(n_splits, shuffle=True, random_state=seed), strata, "stratified"
    else:
        splitter, labels, how = KFold(n_splits, shuffle=True, random_state=seed), None, "random"
    splits = np.zeros(len(cases), dtype=int)
    for k, (_, test) in enumerate(splitter.split(np.zeros(len(cases)), labels)):
        splits[test] = k
    return splits, f"{n_splits} {how} splits of one fold's cases (seed {seed})"


def rule_scores(info: ModelInfo, cases: Sequence[OutOfFoldCase], classes: Sequence[str],
                rule: RuleBasedSummarizer) -> np.ndarray:
    """The rule's score (N, n_classes) of every out-of-fold case.

    Raises:
        ModelFolderError: a case's probabilities cannot be read.
    """
    scores = np.zeros((len(cases), len(classes)))
    for i, case in enumerate(tqdm(cases, desc="summarizing out-of-fold maps", unit="case")):
        maps, spacing = load_case_maps(case, info.channel_groups)
        summaries = rule.summarize({c: maps[c] for c in classes}, spacing)
        scores[i] = [summaries[c].probability for c in classes]
    return scores


def cross_fitted_threshold_scores(stats: np.ndarray, y: np.ndarray, splits: np.ndarray,
                                  thresholds: Sequence[float]) -> np.ndarray:
    """Scores (N, n_classes) with t and tau tuned without each case's split (see ``threshold``)."""
    scores = np.full(y.shape, np.nan)
    for k in np.unique(splits):
        test = splits == k
        for j in range(y.shape[1]):
            train = ~test & ~np.isnan(y[:, j])
            if not train.any():
                continue
            tuned = tune_class(stats[train, j], y[train, j], thresholds)
            scores[test, j] = statistics_scores(stats[test, j], thresholds, tuned["threshold"], tuned["tau"])
    return scores


def cross_fitted_head_scores(method: str, x, y: np.ndarray, splits: np.ndarray, lr: float,
                             settings: TrainSettings) -> np.ndarray:
    """Probabilities (N, n_classes) of heads trained without each case's split (inputs ``x``: (N, C, *grid))."""
    scores = np.full(y.shape, np.nan)
    for k in np.unique(splits):
        train, test = np.flatnonzero(splits != k), np.flatnonzero(splits == k)
        logger.info("%s: cross-fitting split %d (%d cases) on %d cases", method, k, test.size, train.size)
        module = train_head(method, x[train], y[train], lr, settings)
        scores[test] = predict_probabilities(module, x[test])
    return scores
