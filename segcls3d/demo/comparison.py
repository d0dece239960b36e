"""Side-by-side table and ROC plot of several models evaluated on the same test set."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Optional

from segcls3d.evaluate import EvaluationResult, OperatingPointResult, SourceResult, plot_roc_curves

ROWS = (
    ("AUROC [95% CI]", None),
    ("balanced accuracy", "balanced_accuracy"),
    ("recall", "recall"),
    ("precision", "precision"),
    ("specificity", "specificity"),
    ("strict recall", "strict_recall"),
)


def _fmt(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _metric(point: OperatingPointResult, key: str) -> Optional[float]:
    if key == "strict_recall":
        return point.strict_recall.value if point.strict_recall is not None else None
    return point.rate(key).value


def _source(result: EvaluationResult, class_name: str) -> Optional[SourceResult]:
    class_result = result.classes.get(class_name)
    sources = class_result.sources if class_result is not None else {}
    return sources.get("summarizer") or sources.get("head")


def comparison_table(results: Mapping[str, EvaluationResult], class_name: str) -> str:
    """Markdown table: one column per model, rows = AUROC with CI and metrics at the Youden point."""
    names = list(results)
    lines = ["| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for label, key in ROWS:
        cells = []
        for name in names:
            src = _source(results[name], class_name)
            if src is None:
                cells.append("n/a")
            elif key is None:
                a = src.auroc
                cells.append(f"{_fmt(a.value)} [{_fmt(a.ci_lower)}, {_fmt(a.ci_upper)}]")
            else:
                cells.append(_fmt(_metric(src.youden, key)))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def comparison_plot(results: Mapping[str, EvaluationResult], class_name: str, path: Path) -> Path:
    """One ROC curve per model on the same axes."""
    curves = {f"{class_name} [{name}]": result.classes[class_name]
              for name, result in results.items() if class_name in result.classes}
    return plot_roc_curves(curves, path, title=f"{class_name}: seg-for-class vs classification")
