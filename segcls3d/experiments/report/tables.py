"""Markdown tables of the experiment report: mean [95% CI] over seeds, paired differences, per-run CIs.

The convergence table splits SegCls vs Cls by whether the segmentation trained at all (on a short schedule
it may stay all-background, g then at chance), each dataset once, so that neither case hides the other.
"""
from __future__ import annotations

from typing import Optional, Sequence

from segcls3d.experiments.plan.methods import method_label
from segcls3d.experiments.plan.suites import EXPERIMENT_LETTERS, value_label
from segcls3d.experiments.report.gather import ExperimentResults, MeanCI, mean_ci, metric_value

SEG_METHOD, CLS_METHOD, MULTITASK_METHOD = "segcls_g", "cls", "multitask_head"
TRAINED_DICE = 0.5
CONVERGENCE_COLUMNS = ((SEG_METHOD, "auroc"), (CLS_METHOD, "auroc"), (MULTITASK_METHOD, "auroc"),
                       (SEG_METHOD, "balanced_accuracy"), (CLS_METHOD, "balanced_accuracy"))
METRIC_LABELS = {"auroc": "AUROC", "balanced_accuracy": "balanced accuracy", "recall": "recall",
                 "specificity": "specificity", "precision": "precision",
                 "youden_balanced_accuracy": "balanced accuracy (Youden threshold)",
                 "small_target_recall": "recall, small-target test slice",
                 "dice_positive": "Dice on positive test cases"}
TABLE_A8_METRICS = ("auroc", "balanced_accuracy", "recall", "precision", "specificity")
LABEL_COLUMNS = (("seg_and_class", "# with mask + class label"), ("class_only", "# with class label only"),
                 ("none", "# without label"))


def report_metrics(group: ExperimentResults) -> list[str]:
    """Metrics shown for an experiment: balanced accuracy (Figure 5), AUROC, the slice recall for (d), Dice."""
    metrics = ["balanced_accuracy", "auroc"]
    if group.meta.get("small_target_slice"):
        metrics.append("small_target_recall")
    if any(metric_value(r, "dice_positive") is not None for r in group.records):
        metrics.append("dice_positive")
    return metrics


def fmt(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def fmt_mean_ci(stat: MeanCI, signed: bool = False) -> str:
    """``0.812 [0.701, 0.923]`` (``signed``: ``+0.180 [+0.001, +0.359]``); ``0.812 (1 seed)``; none: ``n/a``."""
    if stat.n == 0:
        return "n/a"
    number = (lambda v: f"{v:+.3f}") if signed else fmt
    if stat.lower is None:
        return f"{number(stat.mean)} (1 seed)"
    return f"{number(stat.mean)} [{number(stat.lower)}, {number(stat.upper)}]"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A markdown table: header, separator, one line per row."""
    return "\n".join("| " + " | ".join(cells) + " |" for cells in [header, ["---"] * len(header), *rows])


def mean_table(group: ExperimentResults, metric: str) -> str:
    """Rows = swept values, columns = methods, cells = mean [95% CI] over seeds (``(n=k)`` when seeds are missing)."""
    n_seeds = max((len(group.runs(v, m)) for v in group.values for m in group.methods), default=0)
    return markdown_table([group.meta.get("variable") or "value"] + [method_label(m) for m in group.methods], [
        [value_label(v)] + [_mean_cell(group.aggregate(v, m, metric), n_seeds) for m in group.methods]
        for v in group.values])


def _mean_cell(stat: MeanCI, n_seeds: int) -> str:
    return fmt_mean_ci(stat) + (f" (n={stat.n})" if 0 < stat.n < n_seeds and stat.lower is not None else "")


def method_table(group: ExperimentResults, metrics: list[str]) -> str:
    """One swept value: rows = methods, columns = metrics, and each AUROC minus SegCls's (rule-based g), paired."""
    value, rows = group.values[0], []
    for method in group.methods:
        paired = group.paired_difference(value, method, SEG_METHOD, "auroc") if method != SEG_METHOD else None
        rows.append([method_label(method), str(len(group.runs(value, method)))]
                    + [fmt_mean_ci(group.aggregate(value, method, m)) for m in metrics]
                    + ["n/a" if paired is None else fmt_mean_ci(paired, signed=True)])
    return markdown_table(["method", "seeds"] + [METRIC_LABELS[m] for m in metrics]
                          + ["AUROC - SegCls (rule-based g), paired"], rows)


def difference_table(group: ExperimentResults, metrics: list[str]) -> Optional[str]:
    """SegCls (rule-based g) minus Cls per swept value, paired by seed; None without both methods."""
    if SEG_METHOD not in group.methods or CLS_METHOD not in group.methods:
        return None
    return markdown_table(
        [group.meta.get("variable") or "value"] + [f"SegCls - Cls, {METRIC_LABELS[m]}" for m in metrics],
        [[value_label(v)] + [fmt_mean_ci(group.paired_difference(v, SEG_METHOD, CLS_METHOD, m), signed=True)
                             for m in metrics] for v in group.values])


def per_run_table(group: ExperimentResults, metric: str) -> str:
    """Rows = (value, seed), cells = the run's value with its bootstrap 95% CI on the test set."""
    rows = []
    for value in group.values:
        for seed in sorted({r["seed"] for r in group.records}):
            runs = [next((r for r in group.runs(value, m) if r["seed"] == seed), None) for m in group.methods]
            rows.append([value_label(value), str(seed)] + ["-" if r is None else _run_cell(r, metric) for r in runs])
    return markdown_table([group.meta.get("variable") or "value", "seed"] + [method_label(m) for m in group.methods],
                          rows)


def _run_cell(record: dict, metric: str) -> str:
    entry = (record.get("metrics") or {}).get(metric) or {}
    value = fmt(metric_value(record, metric))
    if metric == "small_target_recall":
        return f"{value} ({entry.get('n_detected', 0)}/{entry.get('n', 0)})"
    lower, upper = entry.get("ci_lower"), entry.get("ci_upper")
    return value if lower is None or upper is None else f"{value} [{fmt(lower)}, {fmt(upper)}]"


def failures_table(records: list[dict]) -> Optional[str]:
    """Failed runs (experiment, dim, value, seed, method, step, error's last line); None if none."""
    failed = sorted((r for r in records if r.get("status") != "ok"),
                    key=lambda r: (r["experiment"], r["dim"], r["value"], r["seed"], r["method"]))
    rows = []
    for r in failed:
        error = [line for line in str(r.get("error") or "").splitlines() if line.strip()]
        rows.append([r["experiment"], f"{r['dim']}D", value_label(r["value"]), str(r["seed"]), r["method"],
                     str(r.get("failed_step", "")), (error[-1] if error else "failed").replace("|", "/")[:160]])
    return markdown_table(["experiment", "dim", "value", "seed", "method", "step", "error"], rows) if rows else None


def label_count_table(group: ExperimentResults) -> Optional[str]:
    """Table A8 (Hooper et al.) at the smallest and largest label fraction; None without ``labels`` in the records."""
    if not any(r.get("labels") for r in group.records) or not group.values:
        return None
    rows = []
    for value in sorted({group.values[0], group.values[-1]}):
        for method in (m for m in group.methods if group.runs(value, m)):
            counts = group.runs(value, method)[0].get("labels") or {}
            rows.append([method_label(method), value_label(value)]
                        + [str(counts.get(k, "n/a")) for k, _ in LABEL_COLUMNS]
                        + [fmt_mean_ci(group.aggregate(value, method, m)) for m in TABLE_A8_METRICS])
    return markdown_table(["method", "fraction"] + [name for _, name in LABEL_COLUMNS]
                          + [METRIC_LABELS[m] for m in TABLE_A8_METRICS], rows)


def overview_table(groups: list[ExperimentResults], metrics: tuple[str, ...] = ("auroc", "balanced_accuracy")) -> \
        Optional[str]:
    """One row per (experiment, dimension, value): SegCls (rule-based g), Cls and SegCls - Cls paired by seed."""
    header = ["experiment", "dim", "value", "seeds"]
    for metric in metrics:
        header += [f"SegCls {METRIC_LABELS[metric]}", f"Cls {METRIC_LABELS[metric]}", "SegCls - Cls"]
    rows = []
    for group in (g for g in groups if SEG_METHOD in g.methods and CLS_METHOD in g.methods):
        for value in group.values:
            n = min(len(group.runs(value, SEG_METHOD)), len(group.runs(value, CLS_METHOD)))
            cells = [f"({EXPERIMENT_LETTERS.get(group.name, '?')}) {group.name}", f"{group.dim}D",
                     f"{group.meta.get('variable')}={value_label(value)}", str(n)]
            for metric in metrics:
                cells += [fmt_mean_ci(group.aggregate(value, SEG_METHOD, metric)),
                          fmt_mean_ci(group.aggregate(value, CLS_METHOD, metric)),
                          fmt_mean_ci(group.paired_difference(value, SEG_METHOD, CLS_METHOD, metric), signed=True)]
            rows.append(cells + [fmt_mean_ci(group.aggregate(value, SEG_METHOD, "dice_positive"))])
    return markdown_table(header + ["SegCls Dice (positives)"], rows) if rows else None


def convergence_table(records: Sequence[dict], trained_dice: float = TRAINED_DICE) -> Optional[str]:
    """Per dimension and stratum of SegCls's Dice, mean [95% CI] over datasets; None without SegCls + Cls pairs."""
    datasets: dict[tuple[int, str], dict[str, dict]] = {}  # one ok record per dataset and method
    for r in records:
        key = (r.get("dataset") or {}).get("key")
        if r.get("status") == "ok" and key is not None and r.get("experiment") != "semisup":  # semisup: 1 dataset
            datasets.setdefault((int(r["dim"]), key), {}).setdefault(r["method"], r)
    strata: dict[tuple[int, bool], list[dict[str, dict]]] = {}
    for (dim, _), runs in sorted(datasets.items()):
        dice = metric_value(runs[SEG_METHOD], "dice_positive") if SEG_METHOD in runs else None
        if dice is not None and CLS_METHOD in runs:
            strata.setdefault((dim, dice >= trained_dice), []).append(runs)
    if not strata:
        return None
    rows = []
    for (dim, trained), items in sorted(strata.items(), key=lambda kv: (kv[0][0], not kv[0][1])):
        seg_auroc, cls_auroc = _values(items, SEG_METHOD, "auroc"), _values(items, CLS_METHOD, "auroc")
        paired = mean_ci(s - c for s, c in zip(seg_auroc, cls_auroc) if s is not None and c is not None)
        stratum = f">= {trained_dice:g} (trained)" if trained else f"< {trained_dice:g} (not trained)"
        cells = [fmt_mean_ci(mean_ci(_values(items, m, k))) for m, k in CONVERGENCE_COLUMNS]
        rows.append([f"{dim}D", stratum, str(len(items)), *cells[:2], fmt_mean_ci(paired, signed=True), *cells[2:]])
    return markdown_table(["dim", "SegCls test Dice on positives", "datasets", "SegCls AUROC", "Cls AUROC",
                           "SegCls - Cls AUROC", "Multitask head AUROC", "SegCls balanced accuracy",
                           "Cls balanced accuracy"], rows)


def _values(items: Sequence[dict[str, dict]], method: str, metric: str) -> list[Optional[float]]:
    """``metric`` of ``method`` on each dataset of a stratum (None where the method has no run)."""
    return [metric_value(runs[method], metric) if method in runs else None for runs in items]
