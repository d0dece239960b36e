"""Fitting a trained summarizer's head: masked BCE, Adam, learning rate chosen as in the paper (A5.2).

Labels are (N, n_classes) with NaN for unknown; unknown entries do not contribute to the loss.
The learning rate is chosen from :data:`LEARNING_RATES` (1e-6 ... 1e-2, Appendix A5.2) by the mean
AUROC over classes on an inner validation split of the out-of-fold cases (stratified on the first
class, ``val_fraction`` of the cases); ties (e.g. AUROC 1.0 for several rates) go to the lower
validation loss. The head is then refitted on all cases with the chosen rate.
"""
from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from segcls3d.metrics import compute_auroc
from segcls3d.summarize.trained.heads import build_head

logger = logging.getLogger(__name__)
LEARNING_RATES = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2)


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation settings shared by all heads (Adam, fixed number of epochs, mini-batches)."""

    epochs: int = 100
    batch_size: int = 16
    seed: int = 0
    val_fraction: float = 0.25


def train_head(method: str, x, y: np.ndarray, lr: float, settings: TrainSettings):
    """Train a fresh head of ``method`` on inputs ``x`` (N, C, *grid) and labels ``y`` (N, n_classes).

    Deterministic for a given seed. Mini-batches of one sample are skipped when there are more
    (batch normalization needs two).
    """
    import torch

    from segcls3d.model.losses import masked_bce_with_logits  # imports torch: only when a head is fitted

    torch.manual_seed(settings.seed)
    module = build_head(method, int(x.shape[1]), tuple(x.shape[2:]), int(y.shape[1]))
    module[0].fit(x)
    targets = torch.as_tensor(y, dtype=torch.float32)
    optimizer = torch.optim.Adam(module.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(settings.seed)
    n = int(x.shape[0])
    module.train()
    for _ in range(settings.epochs):
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, settings.batch_size):
            index = order[start:start + settings.batch_size]
            if len(index) < 2 and n > 1:
                continue
            optimizer.zero_grad()
            loss = masked_bce_with_logits(module(x[index]), targets[index])
            loss.backward()
            optimizer.step()
    module.eval()
    return module


def predict_probabilities(module, x, batch_size: int = 64) -> np.ndarray:
    """Sigmoid outputs (N, n_classes) of a head in eval mode."""
    import torch

    module.eval()
    outputs = []
    with torch.no_grad():
        for start in range(0, int(x.shape[0]), batch_size):
            outputs.append(torch.sigmoid(module(x[start:start + batch_size]).float()))
    return torch.cat(outputs).numpy().astype(np.float64)


def per_class_auroc(y: np.ndarray, p: np.ndarray, classes: Sequence[str]) -> dict[str, float]:
    """AUROC per class over the cases with a known label (NaN, silently, if only one class is present)."""
    result = {}
    for j, name in enumerate(classes):
        known = ~np.isnan(y[:, j])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            result[name] = compute_auroc(y[known, j], p[known, j]) if known.any() else math.nan
    return result


def inner_split(y: np.ndarray, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, validation) of a split stratified on the first class (unknown = own stratum)."""
    from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

    strata = np.where(np.isnan(y[:, 0]), -1, y[:, 0]).astype(int)
    n_val = max(2, int(round(val_fraction * len(y))))
    counts = np.unique(strata, return_counts=True)[1]
    stratify = counts.min() >= 2 and n_val >= len(counts) and len(y) - n_val >= len(counts)
    splitter = (StratifiedShuffleSplit if stratify else ShuffleSplit)(n_splits=1, test_size=n_val, random_state=seed)
    train, val = next(splitter.split(np.zeros(len(y)), strata if stratify else None))
    return np.sort(train), np.sort(val)


def choose_learning_rate(method: str, x, y: np.ndarray, classes: Sequence[str], settings: TrainSettings,
                         rates: Sequence[float] = LEARNING_RATES) -> tuple[float, dict[str, dict]]:
    """Pick the rate with the best inner-validation AUROC (then the lowest validation loss).

    Returns:
        (learning rate, ``{"1e-04": {"auroc": ..., "loss": ...}, ...}`` for every rate tried).
    """
    import torch

    from segcls3d.model.losses import masked_bce_with_logits  # imports torch: only when a head is fitted

    train, val = inner_split(y, settings.val_fraction, settings.seed)
    table: dict[str, dict] = {}
    best_key, best_lr = None, float(rates[0])
    for lr in rates:
        module = train_head(method, x[train], y[train], lr, settings)
        p = predict_probabilities(module, x[val])
        with torch.no_grad():
            logits = torch.logit(torch.as_tensor(p).clamp(1e-7, 1 - 1e-7)).float()
            loss = float(masked_bce_with_logits(logits, torch.as_tensor(y[val], dtype=torch.float32)))
        per_class = per_class_auroc(y[val], p, classes)
        defined = [v for v in per_class.values() if not math.isnan(v)]
        auroc = float(np.mean(defined)) if defined else math.nan
        table[f"{lr:.0e}"] = {"auroc": auroc, "loss": loss, "auroc_per_class": per_class, "n_cases": int(len(val))}
        key = (-math.inf if math.isnan(auroc) else round(auroc, 6), -loss)
        logger.info("%s: lr %.0e -> inner validation AUROC %.4f, loss %.4f", method, lr, auroc, loss)
        if best_key is None or key > best_key:
            best_key, best_lr = key, float(lr)
    return best_lr, table
