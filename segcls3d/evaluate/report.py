"""Turn an evaluation result into a plain-text table (calibration and component totals included)."""
from __future__ import annotations

import math
from typing import Optional, Sequence

from segcls3d.evaluate.location_result import ClassLocation
from segcls3d.evaluate.result import EvaluationResult
from segcls3d.evaluate.source_result import Estimate, OperatingPointResult

__all__ = ["format_table"]

STRICT_HEADER = "strict rec. (recall)"
MODEL_HEADER = ("class", "source", "label column", "bal.acc", "recall", "precision", "specif.", STRICT_HEADER)


def _num(value: Optional[float], digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def _with_ci(entry: Estimate) -> str:
    text = _num(entry.value)
    if entry.ci_lower is not None and entry.ci_upper is not None and text != "n/a":
        text += f" [{_num(entry.ci_lower)}, {_num(entry.ci_upper)}]"
    return text


def _align(header: Sequence[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [list(header), *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def _point_cells(point: OperatingPointResult) -> list[str]:
    strict = point.strict_recall
    return [
        _num(point.balanced_accuracy.value),
        _num(point.recall.value),
        _num(point.precision.value),
        _num(point.specificity.value),
        f"{_num(strict.value)} ({_num(strict.recall_same_cases)})" if strict is not None else "-",
    ]


def _calibration_section(result: EvaluationResult) -> list[str]:
    header = ["class", "source", f"Brier [{int(round(result.level * 100))}% CI]", "ECE [CI]"]
    rows, n_bins = [], set()
    for name, entry in result.classes.items():
        for source, src in entry.sources.items():
            cal = src.calibration
            if cal is None:
                continue
            n_bins.add(cal.n_bins)
            cells = [_with_ci(cal.brier), _with_ci(cal.ece)] if cal.available else [cal.note or "n/a", ""]
            rows.append([name, source, *cells])
    if not rows:
        return []
    bins = ", ".join(str(b) for b in sorted(n_bins))
    return ["", f"Calibration (lower is better; ECE over {bins} equal-width bins, weighted by bin counts):",
            _align(header, rows)]


def _location_section(location: dict[str, ClassLocation]) -> list[str]:
    header = ["class", "cases", "true comp.", "found", "missed", "comp. recall", "FP comp.", "FP/case"]
    rows = [[name, str(loc.n_cases), str(loc.n_true_components), str(loc.n_found),
             str(loc.n_true_components - loc.n_found), _num(loc.component_recall), str(loc.n_false_positive_components),
             _num(loc.false_positives_per_case, 2)] for name, loc in location.items()]
    parts = ["", "Findings (connected components, full connectivity; found = at least one voxel predicted; "
                 "FP = predicted component touching no true voxel):", _align(header, rows)]
    region_rows = [[name, str(r.label_id), str(r.n_present), str(r.n_detected), str(r.n_missed),
                    str(r.n_false_positive)] for name, loc in location.items() for r in loc.region_counts()]
    if region_rows:
        parts += ["", "Per label (region), in cases:",
                  _align(["class", "label", "present", "detected", "missed", "false pos."], region_rows)]
    return parts


def format_table(result: EvaluationResult) -> str:
    """Aligned plain-text summary: one row per class x score source at the Youden operating point,
    then the same metrics at the model's own labels (if any), calibration, component-level findings
    (with masks), then the RSNA score (if computed)."""
    header = ["class", "source", "n", "pos", f"AUROC [{int(round(result.level * 100))}% CI]", "Youden thr",
              "bal.acc", "recall", "precision", "specif.", STRICT_HEADER, "Dice"]
    rows, model_rows = [], []
    for name, entry in result.classes.items():
        dice = _num(entry.masks.dice_mean) if entry.masks is not None else "-"
        for source, src in entry.sources.items():
            rows.append([name, source, str(src.n), str(src.n_positive), _with_ci(src.auroc),
                         _num(src.youden.threshold), *_point_cells(src.youden), dice])
            if src.model is not None:
                model_rows.append([name, source, src.label_column or "-", *_point_cells(src.model)])
    parts = [
        f"{result.predictions}: {result.n_prediction_cases} case(s), "
        f"{result.n_cases_without_labels} without labels (skipped); "
        f"bootstrap {result.n_bootstrap} resamples, seed {result.seed}",
        "",
        "At the Youden operating point:",
        _align(header, rows),
    ]
    if model_rows:
        parts += ["", "At the model's own labels:",
                  _align(MODEL_HEADER, model_rows)]
    parts += _calibration_section(result)
    if result.location:
        parts += _location_section(result.location)
    if result.masks is not None:
        parts += ["", f"masks: {len(result.masks.missing_cases)} case(s) with a missing mask file; strict recall "
                      "counts a detected positive only if its predicted region overlaps the true one, over positive "
                      "cases with a non-empty true region (plain recall on those same cases in parentheses); "
                      "Dice = mean over cases where either mask is non-empty"]
    if result.overlap_summary:
        parts += _overlap_section(result.overlap_summary)
    if result.saliency_pxap:
        parts += _pxap_section(result.saliency_pxap)
    rsna = result.rsna
    if rsna is not None:
        parts += ["", f"RSNA 2022 weighted log loss ({rsna.score_source}): {_num(rsna.score, 4)} "
                      f"over {rsna.n_cases} case(s), {rsna.n_pairs} (case, target) pairs"]
    return "\n".join(parts)


def _overlap_section(summaries: dict[str, dict]) -> list[str]:
    """Per source (masks, thresholded saliency): per class IoU and Dice (cases with foreground / positive cases),
    then mIoU and mean Dice over the classes."""
    parts = []
    for source, summary in summaries.items():
        rows = [[name, _num(c.get("iou_mean")), _num(c.get("dice_mean")), _num(c.get("iou_mean_gt_positive")),
                 _num(c.get("dice_mean_gt_positive")), str(c.get("n_cases", "-"))]
                for name, c in summary["classes"].items()]
        rows.append(["mean over classes", _num(summary["miou"]), _num(summary["mean_dice"]),
                     _num(summary["miou_gt_positive"]), _num(summary["mean_dice_gt_positive"]), ""])
        parts += ["", f"Overlap of the {source} with the reference masks (mean over cases; pos = image-level "
                      "positive cases only):",
                  _align(["class", "IoU", "Dice", "IoU (pos)", "Dice (pos)", "cases"], rows)]
    return parts


def _pxap_section(pxap: dict[str, dict]) -> list[str]:
    """Per class: image-level PxAP (mean and standard deviation over images with the class) and dataset-level PxAP."""
    rows = [[name, _num(r["image_level_mean"]), _num(r["image_level_std"]), _num(r["dataset_level"]),
             str(r["n_images"])] for name, r in pxap.items()]
    return ["", "Saliency maps, pixel average precision (PxAP) over the images whose reference has the class:",
            _align(["class", "image-level PxAP", "std", "dataset-level PxAP", "images"], rows)]
