"""Hand-made experiment metrics JSONs for the report tests (same layout as the runner writes)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional


def make_record(experiment: str, dim: int, value: float, seed: int, method: str, bacc: Optional[float],
                auroc: Optional[float], status: str = "ok", small: Optional[tuple[int, int]] = None) -> dict:
    """A record with balanced accuracy / AUROC (per-run CI = value -+ 0.1) and optional slice recall."""
    meta = {
        "training_size": ("5a", "Number of training images", "n_train", "training images", True, False),
        "size_bias": ("5d", "Rare subtype", "size_bias", "size bias", False, True),
        "summarizers": ("6", "Summarizing functions", "n_train", "training images", True, False),
        "semisup": ("7", "Label fraction", "label_fraction", "fraction labeled", True, False),
    }[experiment]
    metrics = None
    if status == "ok":
        metrics = {
            "balanced_accuracy": {"value": bacc, "ci_lower": round(bacc - 0.1, 6), "ci_upper": round(bacc + 0.1, 6)},
            "auroc": {"value": auroc, "ci_lower": round(auroc - 0.1, 6), "ci_upper": round(auroc + 0.1, 6)},
        }
        if small is not None:
            detected, n = small
            metrics["small_target_recall"] = {"value": detected / n, "n": n, "n_detected": detected}
    return {
        "experiment": experiment, "figure": meta[0], "title": meta[1], "variable": meta[2], "x_label": meta[3],
        "log_x": meta[4], "small_target_slice": meta[5], "value": float(value), "value_label": f"{value:g}",
        "dim": dim, "seed": seed, "schema": 1, "suite": "cpu", "method": method, "trainer": "nnUNetTrainerSegCls_exp",
        "plans": "nnUNetPlans_cpu_tiny", "schedule": {"epochs": 20, "iterations": 25}, "status": status,
        "error": None if status == "ok" else "SegCls3dError: nnUNetv2_train failed (exit 1)",
        "failed_step": None if status == "ok" else "train", "metrics": metrics, "n_test_cases": 60,
    }


def write_records(out: Path, records: list[dict]) -> None:
    """Write each record where the runner would."""
    for r in records:
        path = out / r["experiment"] / f"{r['dim']}d" / r["value_label"] / f"seed{r['seed']}" / f"{r['method']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(r))
