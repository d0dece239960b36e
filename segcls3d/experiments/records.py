"""The metrics JSON of one run: headline metrics taken from ``segcls3d evaluate`` output, plus the slice.

Headline metrics of a method: AUROC, and balanced accuracy / recall / specificity at the method's
own decisions (the ``model`` operating point: g's label, the classifier's or head's p >= 0.5), as in
the paper's Figure 5 (no threshold tuned on the test set); each with its bootstrap 95% CI. For
the rare-subtype experiment also the recall on the small-target test cases (synth_metadata.csv).

Example:
    >>> entry = {"auroc": {"value": 0.9, "ci_lower": 0.8, "ci_upper": 0.95}, "operating_points": {}}
    >>> headline_metrics(entry)["auroc"]["value"]
    0.9
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping, Optional, Union

import numpy as np

from segcls3d.errors import InputDataError

SCHEMA_VERSION = 2  # 2: "rule" and the test-set Dice of segmentation models
HEADLINE_RATES = ("balanced_accuracy", "recall", "specificity", "precision")
METRIC_LABELS = {
    "auroc": "AUROC",
    "balanced_accuracy": "balanced accuracy",
    "recall": "recall",
    "specificity": "specificity",
    "precision": "precision",
    "youden_balanced_accuracy": "balanced accuracy (Youden threshold)",
    "small_target_recall": "recall, small-target test slice",
    "dice_positive": "Dice on positive test cases",
}
PathLike = Union[str, Path]


def _nan_to_none(value: Any) -> Optional[float]:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _entry(metric: Any) -> dict[str, Optional[float]]:
    if isinstance(metric, Mapping):
        return {k: _nan_to_none(metric.get(k)) for k in ("value", "ci_lower", "ci_upper")}
    return {"value": _nan_to_none(metric), "ci_lower": None, "ci_upper": None}


def headline_metrics(source_entry: Mapping[str, Any]) -> dict[str, dict[str, Optional[float]]]:
    """AUROC and the rates at the model's own decisions (falling back to Youden), with CIs.

    ``source_entry`` is ``result["classes"][class]["sources"][source]`` of ``evaluate_predictions``.
    """
    metrics = {"auroc": _entry(source_entry.get("auroc"))}
    points = source_entry.get("operating_points") or {}
    point = points.get("model") or points.get("youden") or {}
    for rate in HEADLINE_RATES:
        metrics[rate] = _entry(point.get(rate))
    youden = points.get("youden") or {}
    metrics["youden_balanced_accuracy"] = _entry(youden.get("balanced_accuracy"))
    return metrics


def is_current(record: Optional[Mapping[str, Any]], rule: Optional[Mapping[str, Any]]) -> bool:
    """A metrics record is ok, of this schema and computed with ``rule`` (the rule-based g planned now)."""
    return (record is not None and record.get("status") == "ok" and record.get("schema") == SCHEMA_VERSION
            and record.get("rule") == rule)


def mask_dice(class_entry: Mapping[str, Any]) -> dict[str, Optional[float]]:
    """Mean Dice over the positive test cases of ``result["classes"][class]`` (None without masks).

    A segmentation network that never left nnU-Net's all-background phase has Dice 0 here, which
    explains a chance-level rule-based g.
    """
    masks = class_entry.get("masks") or {}
    return {"value": _nan_to_none(masks.get("dice_mean_gt_positive")), "ci_lower": None, "ci_upper": None,
            "n": masks.get("n_gt_positive")}


def small_target_recall(predictions_csv: PathLike, metadata_csv: PathLike, class_name: str, source: str,
                        small_radius: float) -> dict[str, Optional[float]]:
    """Recall of the method's labels among test positives whose target radius is <= ``small_radius``.

    Returns ``{"value", "n", "n_detected"}`` (value None without such cases).

    Raises:
        InputDataError: a file cannot be read or lacks the needed columns.
    """
    import pandas as pd

    from segcls3d.evaluate.inputs import SOURCES

    label_column = f"{class_name}{SOURCES[source][1]}"
    try:
        predictions = pd.read_csv(predictions_csv, dtype={"case_id": str})
        metadata = pd.read_csv(metadata_csv, dtype={"case_id": str})
    except (OSError, ValueError) as exc:
        raise InputDataError(f"cannot read {predictions_csv} or {metadata_csv}: {exc}") from None
    for frame, path, column in ((predictions, predictions_csv, label_column), (metadata, metadata_csv, "target_radius")):
        if column not in frame.columns:
            raise InputDataError(f"{path}: no column {column!r}")
    merged = metadata.merge(predictions[["case_id", label_column]], on="case_id", how="inner")
    radius = pd.to_numeric(merged["target_radius"], errors="coerce")
    small = merged[(merged["label"] == 1) & (radius <= small_radius + 1e-6)]
    detected = pd.to_numeric(small[label_column], errors="coerce").fillna(0).to_numpy() == 1
    n = int(small.shape[0])
    return {"value": float(np.mean(detected)) if n else None, "n": n, "n_detected": int(detected.sum())}
