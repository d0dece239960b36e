"""Markdown tables of the experiment report: mean [95% CI] over seeds, paired differences, per-run CIs."""
from __future__ import annotations

from typing import Optional

from segcls3d.experiments.plan.methods import method_label
from segcls3d.experiments.plan.sweeps import EXPERIMENT_LETTERS, value_label
from segcls3d.experiments.report.gather import ExperimentResults, MeanCI, metric_value

SEG_METHOD, CLS_METHOD = "segcls_g", "cls"
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


def report_metrics(group: ExperimentResults) -> list[str]:
    """Metrics shown for an experiment: balanced accuracy (Figure 5), AUROC, the slice recall for (d)."""
    metrics = ["balanced_accuracy", "auroc"]
    if group.meta.get("small_target_slice"):
        metrics.append("small_target_recall")
    if any(metric_value(r, "dice_positive") is not None for r in group.records):
        metrics.append("dice_positive")
    return metrics


def fmt(value: Optional[float], digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def fmt_mean_ci(stat: MeanCI, signed: bool = False) -> str:
    """``0.812 [0.701, 0.923]`` (``signed``: ``+0.180 [+0.001, +0.359]``); one seed: ``0.812 (1 seed)``; none: ``n/a``."""
    if stat.n == 0:
        return "n/a"
    number = (lambda v: f"{v:+.3f}") if signed else fmt
    if stat.lower is None:
        return f"{number(stat.mean)} (1 seed)"
    return f"{number(stat.mean)} [{number(stat.lower)}, {number(stat.upper)}]"


def markdown_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def mean_table(group: ExperimentResults, metric: str) -> str:
    """Rows = swept values, columns = methods, cells = mean [95% CI] over seeds (n seeds in the header)."""
    n_seeds = max((len(group.runs(v, m)) for v in group.values for m in group.methods), default=0)
    header = [group.meta.get("variable") or "value"] + [method_label(m) for m in group.methods]
    lines = [markdown_row(header), markdown_row(["---"] * len(header))]
    for value in group.values:
        cells = [value_label(value)]
        for method in group.methods:
            stat = group.aggregate(value, method, metric)
            text = fmt_mean_ci(stat)
            if 0 < stat.n < n_seeds and stat.lower is not None:
                text += f" (n={stat.n})"
            cells.append(text)
        lines.append(markdown_row(cells))
    return "\n".join(lines)


def method_table(group: ExperimentResults, metrics: list[str]) -> str:
    """One swept value (e.g. the summarizer comparison): rows = methods, columns = metrics, mean [95% CI] over seeds.

    The last column is each method's AUROC minus that of SegCls (rule-based g), paired by seed.
    """
    value = group.values[0]
    header = ["method", "seeds"] + [METRIC_LABELS[m] for m in metrics] + ["AUROC - SegCls (rule-based g), paired"]
    lines = [markdown_row(header), markdown_row(["---"] * len(header))]
    for method in group.methods:
        cells = [method_label(method), str(len(group.runs(value, method)))]
        cells += [fmt_mean_ci(group.aggregate(value, method, m)) for m in metrics]
        paired = group.paired_difference(value, method, SEG_METHOD, "auroc") if method != SEG_METHOD else None
        cells.append("n/a" if paired is None else fmt_mean_ci(paired, signed=True))
        lines.append(markdown_row(cells))
    return "\n".join(lines)


def difference_table(group: ExperimentResults, metrics: list[str]) -> Optional[str]:
    """SegCls (rule-based g) minus Cls per swept value, paired by seed; None without both methods."""
    if SEG_METHOD not in group.methods or CLS_METHOD not in group.methods:
        return None
    header = [group.meta.get("variable") or "value"] + [f"SegCls - Cls, {METRIC_LABELS[m]}" for m in metrics]
    lines = [markdown_row(header), markdown_row(["---"] * len(header))]
    for value in group.values:
        cells = [value_label(value)]
        for metric in metrics:
            stat = group.paired_difference(value, SEG_METHOD, CLS_METHOD, metric)
            cells.append(fmt_mean_ci(stat, signed=True))
        lines.append(markdown_row(cells))
    return "\n".join(lines)


def per_run_table(group: ExperimentResults, metric: str) -> str:
    """Rows = (value, seed), cells = the run's value with its bootstrap 95% CI on the test set."""
    seeds = sorted({r["seed"] for r in group.records})
    header = [group.meta.get("variable") or "value", "seed"] + [method_label(m) for m in group.methods]
    lines = [markdown_row(header), markdown_row(["---"] * len(header))]
    for value in group.values:
        for seed in seeds:
            cells = [value_label(value), str(seed)]
            for method in group.methods:
                run = next((r for r in group.runs(value, method) if r["seed"] == seed), None)
                cells.append("-" if run is None else _run_cell(run, metric))
            lines.append(markdown_row(cells))
    return "\n".join(lines)


def _run_cell(record: dict, metric: str) -> str:
    entry = (record.get("metrics") or {}).get(metric) or {}
    value = metric_value(record, metric)
    if metric == "small_target_recall":
        return f"{fmt(value)} ({entry.get('n_detected', 0)}/{entry.get('n', 0)})"
    lower, upper = entry.get("ci_lower"), entry.get("ci_upper")
    if lower is None or upper is None:
        return fmt(value)
    return f"{fmt(value)} [{fmt(lower)}, {fmt(upper)}]"


def failures_table(records: list[dict]) -> Optional[str]:
    """Failed runs (experiment, dim, value, seed, method, step, error's last line); None if none."""
    failed = [r for r in records if r.get("status") != "ok"]
    if not failed:
        return None
    lines = [markdown_row(["experiment", "dim", "value", "seed", "method", "step", "error"]), markdown_row(["---"] * 7)]
    for r in sorted(failed, key=lambda r: (r["experiment"], r["dim"], r["value"], r["seed"], r["method"])):
        error = [line for line in str(r.get("error") or "").splitlines() if line.strip()]
        text = (error[-1] if error else "failed").replace("|", "/")[:160]
        lines.append(markdown_row([r["experiment"], f"{r['dim']}D", value_label(r["value"]), str(r["seed"]), r["method"],
                           str(r.get("failed_step", "")), text]))
    return "\n".join(lines)


TABLE_A8_METRICS = ("auroc", "balanced_accuracy", "recall", "precision", "specificity")
LABEL_COLUMNS = (("seg_and_class", "# with mask + class label"), ("class_only", "# with class label only"),
                 ("none", "# without label"))


def label_count_table(group: ExperimentResults) -> Optional[str]:
    """Hooper et al. Table A8: at the smallest and largest label fraction, label counts and metrics per method.

    Only for records that carry ``labels`` (the semi-supervised experiment); None otherwise.
    """
    if not any(r.get("labels") for r in group.records) or not group.values:
        return None
    header = ["method", "fraction"] + [name for _, name in LABEL_COLUMNS] + [METRIC_LABELS[m] for m in TABLE_A8_METRICS]
    lines = [markdown_row(header), markdown_row(["---"] * len(header))]
    for value in sorted({group.values[0], group.values[-1]}):
        for method in group.methods:
            runs = group.runs(value, method)
            if not runs:
                continue
            counts = runs[0].get("labels") or {}
            cells = [method_label(method), value_label(value)] + [str(counts.get(k, "n/a")) for k, _ in LABEL_COLUMNS]
            cells += [fmt_mean_ci(group.aggregate(value, method, m)) for m in TABLE_A8_METRICS]
            lines.append(markdown_row(cells))
    return "\n".join(lines)


def overview_table(groups: list[ExperimentResults], metrics: tuple[str, ...] = ("auroc", "balanced_accuracy")) -> \
        Optional[str]:
    """One row per (experiment, dimension, value): SegCls (rule-based g), Cls and SegCls - Cls paired by seed.

    None when no experiment has both methods.
    """
    header = ["experiment", "dim", "value", "seeds"]
    for metric in metrics:
        header += [f"SegCls {METRIC_LABELS[metric]}", f"Cls {METRIC_LABELS[metric]}", "SegCls - Cls"]
    header.append("SegCls Dice (positives)")
    lines = [markdown_row(header), markdown_row(["---"] * len(header))]
    for group in groups:
        if SEG_METHOD not in group.methods or CLS_METHOD not in group.methods:
            continue
        for value in group.values:
            n = min(len(group.runs(value, SEG_METHOD)), len(group.runs(value, CLS_METHOD)))
            cells = [f"({EXPERIMENT_LETTERS.get(group.name, '?')}) {group.name}", f"{group.dim}D",
                     f"{group.meta.get('variable')}={value_label(value)}", str(n)]
            for metric in metrics:
                cells += [fmt_mean_ci(group.aggregate(value, SEG_METHOD, metric)),
                          fmt_mean_ci(group.aggregate(value, CLS_METHOD, metric)),
                          fmt_mean_ci(group.paired_difference(value, SEG_METHOD, CLS_METHOD, metric), signed=True)]
            cells.append(fmt_mean_ci(group.aggregate(value, SEG_METHOD, "dice_positive")))
            lines.append(markdown_row(cells))
    return "\n".join(lines) if len(lines) > 2 else None
