"""results.md of the MultiMix benchmark: one table per dimension and test set (Table 2's shape), then every run.

Not part of the library: imported by ``run_multimix.py`` (its folder is on ``sys.path``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from regimes import REGIMES

from segcls3d.experiments.report.gather import mean_ci
from segcls3d.experiments.report.tables import fmt_mean_ci, markdown_table
from segcls3d.io import write_text_atomic

TEST_SETS = {"in_domain": "in-domain test set", "shifted": "domain-shift test set (noise raised)"}
METHOD_ORDER = ("MultiMix", "Multitask", "SegCls", "Cls")


def _value(record: dict, test_set: str, source: str, metric: str) -> Optional[float]:
    entry = (record.get(test_set) or {}).get(source)
    return entry if source == "dice_positive" else (entry or {}).get(metric)


def _cell(records: list[dict], test_set: str, source: str, metric: str = "") -> str:
    values = [_value(r, test_set, source, metric) for r in records]
    return "-" if all(v is None for v in values) else fmt_mean_ci(mean_ci(values))


def summary_tables(records: dict[str, dict]) -> list[str]:
    """Per (dim, test set): rows regime x method; accuracy and AUROC of head and g, Dice (mean [95% CI] over seeds)."""
    cells: dict[tuple, list[dict]] = {}
    for record in records.values():
        s = record["settings"]
        cells.setdefault((s["dim"], s["regime"], s["method"]), []).append(record)
    lines: list[str] = []
    header = ["regime", "masks / labels", "method", "seeds", "accuracy (head)", "AUROC (head)", "accuracy (g)",
              "AUROC (g)", "Dice (positives)"]
    for dim in sorted({k[0] for k in cells}):
        for test_set, title in TEST_SETS.items():
            rows = []
            for regime in REGIMES:
                for method in METHOD_ORDER:
                    rs = cells.get((dim, regime, method))
                    if not rs:
                        continue
                    sizes = f"{rs[0]['n_masks']} / {rs[0]['n_labels']} of {rs[0]['n_train']}"
                    rows.append([regime, sizes, method, str(len(rs)),
                                 _cell(rs, test_set, "head", "accuracy"), _cell(rs, test_set, "head", "auroc"),
                                 _cell(rs, test_set, "summarizer", "accuracy"),
                                 _cell(rs, test_set, "summarizer", "auroc"), _cell(rs, test_set, "dice_positive")])
            lines += [f"## {dim}D, {title}", "", markdown_table(header, rows), ""]
    return lines


def write_report(records: dict[str, dict], out: Path) -> Path:
    """Rewrite ``out/results.md`` from all records."""
    settings = next(iter(records.values()))["settings"] if records else {}
    lines = ["# MultiMix vs Multitask, SegCls (g) and Cls: few/all masks x few/all class labels", "",
             f"Synthetic task of the experiment suite's CPU configuration: {settings.get('n_train')} training + "
             f"{settings.get('n_val')} validation cases (the validation cases keep mask and label), "
             f"{settings.get('n_test')} test cases (prevalence 0.5). Regimes: `few` masks = {settings.get('few_masks')}"
             f" training cases with a mask, `few` labels = {settings.get('few_labels')} with a class label (disjoint "
             "from the masked ones when both are few); the other training cases have neither. Plans preset "
             f"`{settings.get('preset')}`, schedule `{settings.get('schedule')}`, fold 0. The domain-shift test set "
             f"holds the same test cases with noise {settings.get('shift_noise')} instead of the task's. Accuracy at "
             "the model's own labels (head: p >= 0.5; g: its rule), AUROC, Dice on the positive test images; mean "
             "[95% t-interval] over seeds. `-`: the method has no such output (Cls has no mask, SegCls no head).",
             "", *summary_tables(records), "## Runs", ""]
    header = ["dim", "seed", "regime", "method", "masks", "labels", "both", "AUROC head (in / shift)",
              "AUROC g (in / shift)", "Dice (in / shift)", "train (s)"]

    def pair(r: dict, source: str, metric: str = "auroc") -> str:
        values = [_value(r, t, source, metric) for t in TEST_SETS]
        return " / ".join("-" if v is None else f"{v:.3f}" for v in values)

    rows = [[str(r["settings"]["dim"]), str(r["settings"]["seed"]), r["settings"]["regime"], r["settings"]["method"],
             str(r["n_masks"]), str(r["n_labels"]), str(r["n_both"]), pair(r, "head"), pair(r, "summarizer"),
             pair(r, "dice_positive"), f"{r['train_s']:.0f}"] for _, r in sorted(records.items())]
    lines += [markdown_table(header, rows), ""]
    return write_text_atomic(out / "results.md", "\n".join(lines))
