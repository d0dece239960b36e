"""Fit a trained summarizer on a model's out-of-fold predictions (``segcls3d summarize fit``).

With ``FitOptions(calibrate="isotonic" | "platt")`` the result is wrapped in a
:class:`~segcls3d.summarize.trained.calibrated.CalibratedSummarizer` fitted on the summarizer's
cross-fitted out-of-fold scores (:mod:`~segcls3d.summarize.trained.cross_fit`); method ``rule_based``
fits only that calibrator, on top of ``FitOptions.rule``.

Example:
    >>> s = fit_summarizer("nnUNet_results/Dataset900_Toy/nnUNetTrainerSegCls__nnUNetPlans__3d_fullres",
    ...                    "classification_labels.csv", "fc", FitOptions(epochs=50))  # doctest: +SKIP
    >>> save_summarizer("fc.json", s)  # doctest: +SKIP
"""
from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np
from tqdm import tqdm

from segcls3d.defaults import DEFAULT_CALIBRATION_BINS
from segcls3d.errors import LabelFileError
from segcls3d.labels import LABELS_FILENAME, CaseLabels
from segcls3d.summarize.calibrators import CALIBRATION_METHODS
from segcls3d.summarize.rule_based import RuleBasedSummarizer
from segcls3d.summarize.trained.base import TrainedSummarizerBase
from segcls3d.summarize.trained.calibrated import CalibratedSummarizer
from segcls3d.summarize.trained.calibration_fit import calibrate_summarizer
from segcls3d.summarize.trained.cross_fit import (
    case_splits,
    cross_fitted_head_scores,
    cross_fitted_threshold_scores,
    rule_scores,
)
from segcls3d.summarize.trained.embedding_data import out_of_fold_features
from segcls3d.summarize.trained.embedding_summarizer import EmbeddingSummarizer
from segcls3d.summarize.trained.features import DEFAULT_FEATURE_GRID
from segcls3d.summarize.trained.grid import maps_to_grid, resolve_grid, spatial_dims_of
from segcls3d.summarize.trained.heads import EMBEDDING_METHODS, MAP_METHODS
from segcls3d.summarize.trained.map_summarizer import MapSummarizer
from segcls3d.summarize.trained.model_info import ModelInfo, label_signature, read_model_info
from segcls3d.summarize.trained.out_of_fold import OutOfFoldCase, load_case_maps, model_folds, out_of_fold_cases
from segcls3d.summarize.trained.threshold import (
    DEFAULT_THRESHOLDS,
    TunedThresholdSummarizer,
    threshold_statistics,
    tune_class,
)
from segcls3d.summarize.trained.training import (
    LEARNING_RATES,
    TrainSettings,
    choose_learning_rate,
    per_class_auroc,
    predict_probabilities,
    train_head,
)

logger = logging.getLogger(__name__)
PathLike = Union[str, Path]
METHODS = ("rule_based", "threshold", *MAP_METHODS, *EMBEDDING_METHODS)


@dataclass
class FitOptions:
    """Settings of :func:`fit_summarizer` (``lr="auto"`` searches :data:`LEARNING_RATES`).

    ``calibrate``: ``None``, ``"isotonic"`` or ``"platt"``; ``rule``: the rule-based summarizer that
    method ``rule_based`` calibrates (default settings if None).
    """

    folds: Optional[Sequence[Union[int, str]]] = None
    lr: Union[str, float] = "auto"
    epochs: int = 100
    batch_size: int = 16
    seed: int = 0
    val_fraction: float = 0.25
    grid: Optional[Sequence[int]] = None
    layer: str = "deep"
    device: str = "cpu"
    checkpoint: str = "checkpoint_final.pth"
    preprocessed: Optional[PathLike] = None
    step_size: float = 0.5
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS
    calibrate: Optional[str] = None
    rule: Optional[RuleBasedSummarizer] = None
    calibration_bins: int = DEFAULT_CALIBRATION_BINS


def case_label_matrix(labels_csv: Optional[PathLike], info: ModelInfo, classes: Sequence[str],
                      cases: Sequence[OutOfFoldCase]) -> tuple[list[OutOfFoldCase], np.ndarray]:
    """Labels (N, n_classes) of the out-of-fold cases with at least one known label.

    Raises:
        LabelFileError: no labels file, or a class without both a positive and a negative case.
    """
    path = Path(labels_csv) if labels_csv else info.folder / LABELS_FILENAME
    if not labels_csv and not path.is_file():
        raise LabelFileError(f"{info.folder}: no {LABELS_FILENAME} next to the checkpoints; pass --labels CSV")
    labels = CaseLabels.load(path, classes)
    y = labels.batch([c.case_id for c in cases])
    unlabeled = [c.case_id for c, row in zip(cases, y) if np.isnan(row).all()]
    if unlabeled:
        logger.warning("%s: %d out-of-fold case(s) without labels are left out: %s", path, len(unlabeled),
                       unlabeled[:10])
    keep = ~np.isnan(y).all(axis=1)
    cases, y = [c for c, k in zip(cases, keep) if k], y[keep]
    for j, name in enumerate(classes):
        known = y[~np.isnan(y[:, j]), j]
        if known.size == 0 or known.min() == known.max():
            raise LabelFileError(f"{path}: class '{name}' needs positive and negative out-of-fold cases to fit a "
                                 f"summarizer; found {int((known == 1).sum())} positive, {int((known == 0).sum())} "
                                 "negative")
    return cases, y


def fit_summarizer(model_folder: PathLike, labels_csv: Optional[PathLike], method: str,
                   options: Optional[FitOptions] = None) -> TrainedSummarizerBase:
    """Fit ``method`` (one of :data:`METHODS`) on the out-of-fold predictions of ``model_folder``.

    Raises:
        ValueError: unknown method or calibration, ``rule_based`` without ``calibrate``, invalid options.
        ModelFolderError: missing folds, validation probabilities (see ``--npz``), checkpoints or
            preprocessed data.
        LabelFileError: labels missing, malformed, or without both classes.
    """
    options = options or FitOptions()
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    if options.calibrate is not None and options.calibrate not in CALIBRATION_METHODS:
        raise ValueError(f"unknown calibration {options.calibrate!r}; choose one of {CALIBRATION_METHODS}")
    if method == "rule_based" and options.calibrate is None:
        raise ValueError("method rule_based fits nothing by itself: add a calibration (--calibrate isotonic|platt)")
    info = read_model_info(model_folder)
    classes = list(info.channel_groups)
    folds = model_folds(info.folder, options.folds)
    cases = out_of_fold_cases(info.folder, folds, info.file_ending, need_probabilities=method not in EMBEDDING_METHODS)
    cases, y = case_label_matrix(labels_csv, info, classes, cases)
    model = {**label_signature(info.dataset_json, info.classes, info.channel_groups),
             "dataset_name": info.dataset_name, "plans_name": info.plans.get("plans_name"),
             "configuration": info.configuration, "folder": str(info.folder)}
    training = {"n_cases": len(cases), "folds": [str(f) for f in folds],
                "n_positive": {c: int(np.nansum(y[:, j])) for j, c in enumerate(classes)},
                "labels": str(labels_csv or info.folder / LABELS_FILENAME)}
    common = dict(training)
    if method == "rule_based":
        summarizer, inputs = options.rule or RuleBasedSummarizer(), None
    elif method == "threshold":
        summarizer, inputs = _fit_threshold(info, cases, y, classes, model, training, options)
    else:
        summarizer, inputs = _fit_trained(info, cases, y, classes, method, model, training, options)
    if options.calibrate is None:
        return summarizer
    splits, split_source = case_splits(cases, y, options.seed)
    scores = _out_of_fold_scores(method, summarizer, inputs, info, cases, y, splits, options)
    return calibrate_summarizer(summarizer, options.calibrate, scores, y, classes, splits, model, common,
                                split_source, options.calibration_bins, fit_method=method)


def _out_of_fold_scores(method: str, summarizer, inputs, info: ModelInfo, cases, y: np.ndarray, splits: np.ndarray,
                        options: FitOptions) -> np.ndarray:
    """Scores (N, n_classes) of the cases by a summarizer not fitted on them (see ``cross_fit``)."""
    if method == "rule_based":
        return rule_scores(info, cases, list(info.channel_groups), summarizer)
    if method == "threshold":
        return cross_fitted_threshold_scores(inputs, y, splits, summarizer.training["thresholds"])
    settings = TrainSettings(options.epochs, options.batch_size, options.seed, options.val_fraction)
    return cross_fitted_head_scores(method, inputs, y, splits, summarizer.training["lr"], settings)


def _fit_trained(info: ModelInfo, cases, y, classes, method, model, training, options: FitOptions):
    """A map or embedding head fitted on all cases, and its inputs (N, C, *grid)."""
    if method in MAP_METHODS:
        x, grid = _map_inputs(info, cases, classes, method, options.grid)
        module = _fit_head(method, x, y, classes, options, training)
        return MapSummarizer(method, classes, model, grid, module=module, training=training), x
    grid = options.grid or [DEFAULT_FEATURE_GRID]
    features, layer_name, grid = out_of_fold_features(info, cases, options.layer, grid, options.device,
                                                      options.checkpoint, options.preprocessed, options.step_size)
    import torch

    x = torch.from_numpy(features)
    module = _fit_head(method, x, y, classes, options, training)
    return EmbeddingSummarizer(method, classes, model, options.layer, layer_name, features.shape[1], grid,
                               step_size=options.step_size, module=module, training=training), x


def _map_inputs(info: ModelInfo, cases: Sequence[OutOfFoldCase], classes: Sequence[str], method: str,
                grid: Optional[Sequence[int]]):
    import torch

    first, _ = load_case_maps(cases[0], info.channel_groups)
    dims = spatial_dims_of([m.shape for m in first.values()])
    grid = (1,) * dims if method == "gap_fc" else resolve_grid(grid, dims)
    rows = []
    for case in tqdm(cases, desc="reading out-of-fold maps", unit="case"):
        maps, _ = load_case_maps(case, info.channel_groups)
        rows.append(maps_to_grid(maps, classes, grid))
    return torch.stack(rows), grid


def _fit_head(method: str, x, y: np.ndarray, classes: Sequence[str], options: FitOptions, training: dict):
    settings = TrainSettings(options.epochs, options.batch_size, options.seed, options.val_fraction)
    rates = LEARNING_RATES if options.lr == "auto" else (float(options.lr),)
    lr, table = choose_learning_rate(method, x, y, classes, settings, rates)
    module = train_head(method, x, y, lr, settings)
    training.update(
        lr=lr, lr_search=table if options.lr == "auto" else None, **asdict(settings),
        validation_auroc=table[f"{lr:.0e}"]["auroc_per_class"],
        fit_auroc=per_class_auroc(y, predict_probabilities(module, x), classes),
        note="validation_auroc: inner split of the out-of-fold cases (used to choose lr); fit_auroc: after "
             "refitting on all of them (optimistic)",
    )
    logger.info("%s: lr %.0e, inner validation AUROC %s", method, lr, training["validation_auroc"])
    return module


def _fit_threshold(info: ModelInfo, cases, y, classes, model, training, options: FitOptions):
    thresholds = tuple(float(t) for t in options.thresholds)
    stats = np.zeros((len(cases), len(classes), 2 * len(thresholds) + 2))
    for i, case in enumerate(tqdm(cases, desc="reading out-of-fold maps", unit="case")):
        maps, _ = load_case_maps(case, info.channel_groups)
        for j, name in enumerate(classes):
            stats[i, j] = threshold_statistics(maps[name], thresholds)
    rules, tuned = {}, {}
    for j, name in enumerate(classes):
        known = ~np.isnan(y[:, j])
        tuned[name] = tune_class(stats[known, j], y[known, j], thresholds)
        rules[name] = RuleBasedSummarizer(threshold=tuned[name]["threshold"], tau=tuned[name]["tau"])
        logger.info("threshold %s: t=%.2f tau=%g voxels, AUROC %.4f, balanced accuracy %.4f", name,
                    tuned[name]["threshold"], tuned[name]["tau"], tuned[name]["auroc"],
                    tuned[name]["balanced_accuracy"])
    training.update(thresholds=list(thresholds), tuned=tuned,
                    fit_auroc={c: tuned[c]["auroc"] for c in classes},
                    note="t and tau tuned on all out-of-fold cases; fit_auroc is in-sample (optimistic)")
    return TunedThresholdSummarizer("threshold", classes, model, rules, training=training), stats


def summarize_fit(summarizer: TrainedSummarizerBase) -> list[tuple[str, str, str, str]]:
    """Rows (class, lr, validation AUROC, fit AUROC) describing a fitted summarizer, for the CLI.

    A calibrated summarizer is described by the summarizer it wraps (no rows for the rule-based g).
    """
    if isinstance(summarizer, CalibratedSummarizer):
        summarizer = summarizer.summarizer
    if not isinstance(summarizer, TrainedSummarizerBase):
        return []
    t = summarizer.training
    lr = f"{t['lr']:.0e}" if "lr" in t else "-"
    rows = []
    for c in summarizer.classes:
        val = t.get("validation_auroc", {}).get(c, math.nan)
        rows.append((c, lr, f"{val:.4f}" if "validation_auroc" in t else "-", f"{t['fit_auroc'][c]:.4f}"))
    return rows
