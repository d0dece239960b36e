"""The one record type: a run's settings, its headline metrics from ``segcls3d evaluate``, timing or the error.

Headline metrics: AUROC, and balanced accuracy / recall / specificity / precision at the method's own
decisions (g's label, the classifier's or head's p >= 0.5) as in the paper's Figure 5 (no threshold tuned
on the test set), each with its bootstrap 95% CI; the Dice of segmentations; the small-target recall.
"""
from __future__ import annotations

import logging
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Optional

import numpy as np
import pandas as pd

from segcls3d.errors import InputDataError, SegCls3dError
from segcls3d.evaluate.inputs import SOURCES
from segcls3d.evaluate.result import ClassMasks
from segcls3d.evaluate.source_result import optional_float
from segcls3d.experiments.plan.build import OK, SCHEMA_VERSION, Job, Plan, Run
from segcls3d.experiments.plan.methods import CLS, SEGCLS_BOOSTED, SEGCLS_G, SEGCLS_SEMISUP, Method
from segcls3d.experiments.plan.suites import X_LABELS, value_label
from segcls3d.experiments.run.steps import Evaluation, PreparedDataset
from segcls3d.pseudolabels.label_subset import n_labeled
from segcls3d.synth.writer import CLASS_NAME

logger = logging.getLogger(__name__)
HEADLINE_RATES = ("balanced_accuracy", "recall", "specificity", "precision")


def mask_dice(masks: Optional[ClassMasks]) -> dict[str, Optional[float]]:
    """Mean Dice over the positive test cases (None without masks); 0 = the network never left all-background."""
    return {"value": optional_float(masks.dice_mean_gt_positive) if masks else None, "ci_lower": None,
            "ci_upper": None, "n": masks.n_gt_positive if masks else None}


def small_target_recall(predictions_csv: Path, metadata_csv: Path, class_name: str, source: str,
                        small_radius: float) -> dict[str, Optional[float]]:
    """Recall of the method's labels among test positives with target radius <= ``small_radius`` (or InputDataError)."""
    label_column = f"{class_name}{SOURCES[source][1]}"
    try:
        predictions = pd.read_csv(predictions_csv, dtype={"case_id": str})
        metadata = pd.read_csv(metadata_csv, dtype={"case_id": str})
    except (OSError, ValueError) as exc:
        raise InputDataError(f"cannot read {predictions_csv} or {metadata_csv}: {exc}") from None
    for frame, path, column in ((predictions, predictions_csv, label_column),
                                (metadata, metadata_csv, "target_radius")):
        if column not in frame.columns:
            raise InputDataError(f"{path}: no column {column!r}")
    merged = metadata.merge(predictions[["case_id", label_column]], on="case_id", how="inner")
    radius = pd.to_numeric(merged["target_radius"], errors="coerce")
    small = merged[(merged["label"] == 1) & (radius <= small_radius + 1e-6)]
    detected = pd.to_numeric(small[label_column], errors="coerce").fillna(0).to_numpy() == 1
    n = int(small.shape[0])
    return {"value": float(np.mean(detected)) if n else None, "n": n, "n_detected": int(detected.sum())}


def job_record(plan: Plan, job: Job, method: Method, status: str, dataset: Optional[PreparedDataset] = None,
               folds: tuple[int, ...] = (), **fields: Any) -> dict[str, Any]:
    """A record of ``method`` in ``job`` (``dataset``: the one trained on, when known) with ``fields``."""
    spec = plan.datasets[job.dataset_key]
    return {
        "schema": SCHEMA_VERSION, "suite": plan.suite.name, "method": method.name, "method_label": method.label,
        "trainer": job.trainer, "family": job.family, "source": method.source, "summarizer": method.summarizer_id,
        "rule": method.rule(plan.rule_tau(job.dataset_key)), "plans": plan.plans_name,
        "configuration": spec.configuration, "folds": list(folds or job.folds),
        "schedule": {"epochs": plan.suite.schedule.epochs, "iterations": plan.suite.schedule.iterations},
        "dataset": {"key": job.dataset_key, "id": dataset.dataset_id if dataset else plan.dataset_id(job.dataset_key),
                    "name": dataset.name if dataset else plan.dataset_name(job.dataset_key), **spec.describe()},
        "settings": plan.job_settings(job, method), "status": status, **fields,
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def ok_record(plan: Plan, job: Job, method: Method, dataset: PreparedDataset, folds: tuple[int, ...],
              evaluation: Evaluation, metadata_csv: Path, timing: Mapping[str, float], **extra: Any) -> dict[str, Any]:
    """The record of a finished run: the headline metrics of the method's score source (SegCls3dError if none)."""
    found = evaluation.result.classes.get(CLASS_NAME)
    entry = found.sources.get(method.source) if found else None
    if entry is None:
        raise SegCls3dError(f"{evaluation.predictions_csv}: no '{method.source}' scores for class '{CLASS_NAME}' "
                            f"(found: {', '.join(found.sources if found else []) or 'none'})")
    point = entry.model or entry.youden  # the model's own decisions, else Youden's
    radius = float(plan.datasets[job.dataset_key].synth["target_size"])
    metrics = {"auroc": entry.auroc.to_dict(), **{rate: point.rate(rate).to_dict() for rate in HEADLINE_RATES},
               "youden_balanced_accuracy": entry.youden.balanced_accuracy.to_dict(),
               "dice_positive": mask_dice(found.masks), "small_target_recall": small_target_recall(
                   evaluation.predictions_csv, metadata_csv, CLASS_NAME, method.source, radius)}
    return job_record(plan, job, method, OK, dataset, folds, error=None, metrics=metrics, n_test_cases=entry.n,
                      n_test_positive=entry.n_positive, n_failed_cases=evaluation.n_failed_cases,
                      predictions=str(evaluation.predictions_csv),
                      timing_s={k: round(v, 1) for k, v in timing.items()}, **extra)


def failed_record(plan: Plan, job: Job, method: Method, step: str, exc: BaseException) -> dict[str, Any]:
    """The record of a failed step (the next invocation retries it)."""
    logger.debug("".join(traceback.format_exception(exc)))
    return job_record(plan, job, method, "failed", failed_step=step, error=f"{type(exc).__name__}: {exc}"[-4000:],
                      metrics=None)


def run_record(plan: Plan, run: Run, record: Mapping[str, Any]) -> dict[str, Any]:
    """A job's record as one run's: the experiment's fields first, the run's settings, Table A8's ``labels`` counts."""
    sweep = plan.sweeps[run.experiment]
    out = {"experiment": sweep.name, "figure": sweep.figure, "title": sweep.title, "variable": sweep.variable,
           "x_label": X_LABELS[sweep.variable], "log_x": sweep.log_x, "small_target_slice": sweep.small_target_slice,
           "value": run.value, "value_label": value_label(run.value), "dim": run.dim, "seed": run.seed,
           **record, "settings": plan.settings(run)}
    if sweep.variable == "label_fraction":
        n_train = plan.datasets[plan.jobs[run.job_key].dataset_key].n_train
        labeled = n_labeled(n_train, run.value)
        out["labels"] = {CLS.name: {"seg_and_class": 0, "class_only": labeled, "none": 0},
                         SEGCLS_G.name: {"seg_and_class": labeled, "class_only": 0, "none": 0},
                         SEGCLS_SEMISUP.name: {"seg_and_class": labeled, "class_only": 0, "none": n_train - labeled},
                         SEGCLS_BOOSTED.name: {"seg_and_class": labeled, "class_only": n_train - labeled, "none": 0},
                         }[run.method.name]
    return out
