"""Side-by-side table and ROC plot of several models evaluated on the same test set."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Optional

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


def _metric(op: dict, key: str) -> Optional[float]:
    value = op.get(key)
    return value.get("value") if isinstance(value, dict) else value


def _source(result: dict, class_name: str) -> Optional[dict]:
    sources = result["classes"].get(class_name, {}).get("sources", {})
    return sources.get("summarizer") or sources.get("head")


def comparison_table(results: Mapping[str, dict], class_name: str) -> str:
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
                a = src["auroc"]
                cells.append(f"{_fmt(a['value'])} [{_fmt(a['ci_lower'])}, {_fmt(a['ci_upper'])}]")
            else:
                cells.append(_fmt(_metric(src["operating_points"]["youden"], key)))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def comparison_plot(results: Mapping[str, dict], class_name: str, path: Path) -> Path:
    """One ROC curve per model on the same axes."""
    from segcls3d.evaluate import plot_roc_result

    merged = {"classes": {}}
    for name, result in results.items():
        if class_name in result["classes"]:
            merged["classes"][f"{class_name} [{name}]"] = result["classes"][class_name]
    return plot_roc_result(merged, path, title=f"{class_name}: seg-for-class vs classification")
