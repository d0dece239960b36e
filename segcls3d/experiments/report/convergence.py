"""SegCls vs Cls split by whether the segmentation network trained at all (test Dice on positive cases).

On a short schedule nnU-Net's segmentation sometimes never leaves its all-background phase; its rule-based
g is then at chance. This table pools every generated dataset of the sweeps (each dataset once, however
many experiments share it) and compares the methods separately on datasets where SegCls trained
(Dice >= ``TRAINED_DICE``) and where it did not, so neither case hides the other.
"""
from __future__ import annotations

from functools import partial
from typing import Optional, Sequence

from segcls3d.experiments.report.gather import mean_ci, metric_value
from segcls3d.experiments.report.tables import CLS_METHOD, SEG_METHOD, fmt_mean_ci, markdown_table

TRAINED_DICE = 0.5
MULTITASK_METHOD = "multitask_head"
POOLED_EXCLUDED = ("semisup",)  # one dataset, several label fractions: not one run per dataset


def _by_dataset(records: Sequence[dict]) -> dict[tuple[int, str], dict[str, dict]]:
    """(dim, dataset key) -> method -> one ok record (experiments sharing a dataset share its runs)."""
    datasets: dict[tuple[int, str], dict[str, dict]] = {}
    for r in records:
        key = (r.get("dataset") or {}).get("key")
        if r.get("status") != "ok" or key is None or r.get("experiment") in POOLED_EXCLUDED:
            continue
        datasets.setdefault((int(r["dim"]), key), {}).setdefault(r["method"], r)
    return datasets


def _values(items: Sequence[dict[str, dict]], method: str, metric: str) -> list[Optional[float]]:
    """``metric`` of ``method`` on each dataset of a stratum (None where the method has no run)."""
    return [metric_value(runs[method], metric) if method in runs else None for runs in items]


def convergence_table(records: Sequence[dict], trained_dice: float = TRAINED_DICE) -> Optional[str]:
    """Markdown table: per dimension and stratum, mean [95% CI] over datasets; None without SegCls + Cls pairs."""
    strata: dict[tuple[int, bool], list[dict[str, dict]]] = {}
    for (dim, _), runs in sorted(_by_dataset(records).items()):
        dice = metric_value(runs[SEG_METHOD], "dice_positive") if SEG_METHOD in runs else None
        if dice is not None and CLS_METHOD in runs:
            strata.setdefault((dim, dice >= trained_dice), []).append(runs)
    if not strata:
        return None
    rows = []
    for (dim, trained), items in sorted(strata.items(), key=lambda kv: (kv[0][0], not kv[0][1])):
        values = partial(_values, items)
        seg_auroc, cls_auroc = values(SEG_METHOD, "auroc"), values(CLS_METHOD, "auroc")
        paired = mean_ci(s - c for s, c in zip(seg_auroc, cls_auroc) if s is not None and c is not None)
        stratum = f">= {trained_dice:g} (trained)" if trained else f"< {trained_dice:g} (not trained)"
        rows.append([
            f"{dim}D", stratum, str(len(items)), fmt_mean_ci(mean_ci(seg_auroc)), fmt_mean_ci(mean_ci(cls_auroc)),
            fmt_mean_ci(paired, signed=True), fmt_mean_ci(mean_ci(values(MULTITASK_METHOD, "auroc"))),
            fmt_mean_ci(mean_ci(values(SEG_METHOD, "balanced_accuracy"))),
            fmt_mean_ci(mean_ci(values(CLS_METHOD, "balanced_accuracy")))])
    return markdown_table(["dim", "SegCls test Dice on positives", "datasets", "SegCls AUROC", "Cls AUROC",
                           "SegCls - Cls AUROC", "Multitask head AUROC", "SegCls balanced accuracy",
                           "Cls balanced accuracy"], rows)
