"""Turn an evaluation result into strict JSON data and a plain-text table."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

__all__ = ["to_jsonable", "format_table"]

STRICT_HEADER = "strict rec. (recall)"


def to_jsonable(obj: Any) -> Any:
    """Copy of ``obj`` with numpy scalars/arrays as Python values and NaN/inf as None (strict JSON)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _num(value: Optional[float], digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def _with_ci(entry: Optional[dict]) -> str:
    if not entry:
        return "n/a"
    text = _num(entry.get("value"))
    if entry.get("ci_lower") is not None and entry.get("ci_upper") is not None and text != "n/a":
        text += f" [{_num(entry['ci_lower'])}, {_num(entry['ci_upper'])}]"
    return text


def _align(header: Sequence[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [list(header), *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def _point_cells(point: Optional[dict]) -> list[str]:
    if point is None:
        return ["n/a"] * 5
    strict = point.get("strict_recall")
    return [
        _num(point["balanced_accuracy"]["value"]),
        _num(point["recall"]["value"]),
        _num(point["precision"]["value"]),
        _num(point["specificity"]["value"]),
        f"{_num(strict['value'])} ({_num(strict['recall_same_cases'])})" if strict else "-",
    ]


def format_table(result: dict) -> str:
    """Aligned plain-text summary: one row per class x score source at the Youden operating point,
    then the same metrics at the model's own labels (if any), then the RSNA score (if computed)."""
    level = result.get("level", 0.95)
    header = ["class", "source", "n", "pos", f"AUROC [{int(round(level * 100))}% CI]", "Youden thr",
              "bal.acc", "recall", "precision", "specif.", STRICT_HEADER, "Dice"]
    rows, model_rows = [], []
    for name, entry in result.get("classes", {}).items():
        dice = _num(entry["masks"]["dice_mean"]) if "masks" in entry else "-"
        for source, src in entry["sources"].items():
            youden = src["operating_points"]["youden"]
            rows.append([name, source, str(src["n"]), str(src["n_positive"]), _with_ci(src["auroc"]),
                         _num(youden["threshold"]), *_point_cells(youden), dice])
            if "model" in src["operating_points"]:
                model_rows.append([name, source, src.get("label_column") or "-",
                                   *_point_cells(src["operating_points"]["model"])])
    parts = [
        f"{result.get('predictions', '')}: {result.get('n_prediction_cases', 0)} case(s), "
        f"{result.get('n_cases_without_labels', 0)} without labels (skipped); "
        f"bootstrap {result.get('n_bootstrap', 0)} resamples, seed {result.get('seed', 0)}",
        "",
        "At the Youden operating point:",
        _align(header, rows),
    ]
    if model_rows:
        parts += ["", "At the model's own labels:",
                  _align(["class", "source", "label column", "bal.acc", "recall", "precision", "specif.", STRICT_HEADER],
                         model_rows)]
    masks = result.get("masks")
    if masks is not None:
        parts += ["", f"masks: {masks['n_missing']} case(s) with a missing mask file; strict recall counts a "
                      "detected positive only if its predicted region overlaps the true one, over positive cases "
                      "with a non-empty true region (plain recall on those same cases in parentheses); "
                      "Dice = mean over cases where either mask is non-empty"]
    rsna = result.get("rsna")
    if rsna is not None:
        parts += ["", f"RSNA 2022 weighted log loss ({rsna['score_source']}): {_num(rsna['score'], 4)} "
                      f"over {rsna['n_cases']} case(s), {rsna['n_pairs']} (case, target) pairs"]
    return "\n".join(parts)
