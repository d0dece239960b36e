"""``segcls3d report``: experiment metrics JSONs -> ``results.md`` (tables with CIs), PNG plots, ``summary.json``.

Plots: a metric vs the swept variable, one line per method with shaded 95% CIs; with a single swept
value (the summarizer comparison), one point per method with error bars, like the paper's Figure 6.

Example:
    >>> write_report("work_dirs/experiments", "docs/experiments")  # doctest: +SKIP
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

from segcls3d.errors import InputDataError
from segcls3d.experiments.plan.methods import method_label
from segcls3d.experiments.plan.suites import EXPERIMENT_LETTERS, value_label
from segcls3d.experiments.report import tables
from segcls3d.experiments.report.gather import ExperimentResults, group_experiments, load_records
from segcls3d.experiments.report.tables import METRIC_LABELS
from segcls3d.io import atomic_path, write_json_atomic, write_text_atomic

logger = logging.getLogger(__name__)
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h", "*", "p")
LINESTYLES = ("-", "--", "-.", ":")


@dataclass
class ReportOutput:
    """Files written by :func:`write_report` and what went into them."""

    markdown: Path
    summary: Path
    plots: list[Path] = field(default_factory=list)
    n_records: int = 0
    n_failed: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


def write_report(runs_dir: Union[str, Path], out_dir: Union[str, Path]) -> ReportOutput:
    """Gather every metrics JSON under ``runs_dir`` and write the report into ``out_dir``.

    Raises:
        InputDataError: ``runs_dir`` is not a folder or holds no experiment metrics JSON.
    """
    runs_dir, out_dir = Path(runs_dir), Path(out_dir)
    if not runs_dir.is_dir():
        raise InputDataError(f"{runs_dir}: not a folder (pass the --out folder of `segcls3d experiment`)")
    records, skipped = load_records(runs_dir)
    if not records:
        raise InputDataError(f"{runs_dir}: no experiment metrics JSON found (run `segcls3d experiment` first)")
    out = ReportOutput(out_dir / "results.md", out_dir / "summary.json", n_records=len(records),
                       n_failed=sum(r.get("status") != "ok" for r in records), skipped=skipped)
    sections = [_header(runs_dir, records, out)]
    groups = group_experiments(records)
    overview, trained = tables.overview_table(groups), tables.convergence_table(records)
    if overview:
        sections.append("## Overview: SegCls (rule-based g) vs Cls, every experiment\n\nMean [95% CI] over seeds; "
                        f"`SegCls - Cls` paired by seed (positive: segmentation-for-classification is better).\n\n"
                        f"{overview}")
    if trained:
        sections.append("## Did the segmentation train? SegCls vs Cls split by SegCls test Dice\n\n"
                        "Every generated dataset of the sweeps once (mean [95% CI] over datasets). A SegCls model "
                        f"whose test Dice on positive cases stays below {tables.TRAINED_DICE:g} never left nnU-Net's "
                        "all-background phase on this schedule: its g is at chance, whatever the experiment varies.\n\n"
                        f"{trained}")
    summary = []
    for group in groups:
        metrics = tables.report_metrics(group)
        plot = plot_experiment(group, metrics, out_dir / f"{EXPERIMENT_LETTERS.get(group.name, 'x')}_{group.name}_"
                                                         f"{group.dim}d.png")
        out.plots.append(plot)
        sections.append(_section(group, metrics, plot.name))
        summary.append({"experiment": group.name, "dim": group.dim, **group.meta, "values": group.values,
                        "methods": group.methods, "cells": [
                            {"value": v, "method": m, **{k: group.aggregate(v, m, k).to_dict() for k in metrics}}
                            for v in group.values for m in group.methods]})
    failed = tables.failures_table(records)
    if failed:
        sections.append(f"## Failed runs\n\n{failed}")
    write_text_atomic(out.markdown, "\n\n".join(sections) + "\n")
    write_json_atomic(out.summary, {"runs_dir": str(runs_dir), "n_records": out.n_records,
                                    "n_failed": out.n_failed, "experiments": summary})
    logger.info("report: %d run files (%d failed) -> %s, %d plots", out.n_records, out.n_failed, out.markdown,
                len(out.plots))
    return out


def _distinct(records: list[dict], key: str) -> str:
    return ", ".join(sorted({str(r.get(key)) for r in records if r.get(key) is not None})) or "n/a"


def _header(runs_dir: Path, records: list[dict], out: ReportOutput) -> str:
    ok = [r for r in records if r.get("status") == "ok"]
    schedules = sorted({f"{r['schedule']['epochs']} epochs x {r['schedule']['iterations']} iterations"
                        for r in ok if r.get("schedule")})
    return "\n".join([
        "# Experiment results: segmentation-for-classification vs classification",
        "",
        f"Generated by `segcls3d report` from {out.n_records} run files in `{runs_dir}` ({out.n_failed} failed"
        + (f", {len(out.skipped)} unreadable" if out.skipped else "") + ").",
        f"Configuration: {_distinct(ok, 'suite')}; plans {_distinct(ok, 'plans')}; schedule "
        f"{', '.join(schedules) or 'n/a'}; trainers {_distinct(ok, 'trainer')}.",
        "",
        "Cells: mean over seeds with a 95% t-interval (mean +- t * sd / sqrt(n)); one seed = one generated "
        "dataset and one training per method. Balanced accuracy, recall and specificity are taken at each "
        f"method's own decision rule (rule-based g: {_rules(ok)}; classifier and multitask head: "
        "p >= 0.5), as in the paper's Figure 5, with no threshold tuned on the test set. The per-run tables "
        "give each test-set value with its percentile bootstrap 95% CI (1000 resamples of the test cases). "
        "`SegCls - Cls` is the paired difference (same seed, same data) of the rule-based g and the "
        "classification baseline.",
    ])


def _rules(records: list[dict]) -> str:
    """The rule-based g parameters found in the records, e.g. ``t=0.5, tau=134 voxels (3D: segcls_g)``."""
    seen: dict[tuple, set] = {}
    for r in (r for r in records if r.get("rule")):
        rule = r["rule"]
        seen.setdefault((rule.get("threshold"), rule.get("tau"), rule.get("tau_unit"), r.get("dim")), set()).add(
            r.get("method"))
    return "; ".join(f"t={t:g}, tau={tau:g} {unit} ({dim}D: {', '.join(sorted(methods))})"
                     for (t, tau, unit, dim), methods in sorted(seen.items(), key=lambda kv: (kv[0][3], -kv[0][1]))
                     ) or "t=0.5, tau=10 voxels"


def _section(group: ExperimentResults, metrics: list[str], plot_name: str) -> str:
    n_test = sorted({r.get("n_test_cases") for r in group.records if r.get("n_test_cases") is not None})
    variable = group.meta.get("variable") or "value"
    parts = [f"## ({EXPERIMENT_LETTERS.get(group.name, '?')}) {group.name}, {group.dim}D: "
             f"{group.meta.get('title') or ''} (Fig. {group.meta.get('figure') or '?'} analogue)",
             f"Swept: {group.meta.get('x_label') or group.meta.get('variable')}; test cases per run: "
             f"{', '.join(map(str, n_test)) or 'n/a'}; methods: {', '.join(method_label(m) for m in group.methods)}.",
             f"![{group.name} {group.dim}D]({plot_name})"]
    if len(group.values) == 1:  # nothing swept (e.g. the summarizer comparison): one methods x metrics table
        parts.append(f"**Methods side by side** at {variable}={value_label(group.values[0])} (mean [95% CI] over "
                     f"seeds)\n\n{tables.method_table(group, metrics)}")
    else:
        parts += [f"**{METRIC_LABELS[m]}** (mean [95% CI] over seeds)\n\n{tables.mean_table(group, m)}"
                  for m in metrics]
        diff = tables.difference_table(group, metrics)
        if diff:
            parts.append(f"**SegCls (rule-based g) - Cls**, paired by seed\n\n{diff}")
    counts = tables.label_count_table(group)
    if counts:
        parts.append("**Most limited and most abundant setting** (Table A8 analogue; label counts of the training "
                     f"images, metrics as mean [95% CI] over seeds at each method's own decision rule)\n\n{counts}")
    details = "\n\n".join(f"*{METRIC_LABELS[m]}*\n\n{tables.per_run_table(group, m)}" for m in metrics)
    parts.append(f"<details><summary>Per run: test-set value [bootstrap 95% CI]</summary>\n\n{details}\n\n</details>")
    return "\n\n".join(parts)


def plot_experiment(group: ExperimentResults, metrics: list[str], path: Path) -> Path:
    """One panel per metric; written atomically as PNG (matplotlib's Agg canvas, no pyplot state)."""
    from matplotlib.figure import Figure  # matplotlib is slow to import and only needed for plots

    fig = Figure(figsize=(5.2 * len(metrics), 4.2))
    for ax, metric in zip(fig.subplots(1, len(metrics), squeeze=False)[0], metrics):
        (_points if len(group.values) == 1 else _lines)(ax, group, metric)
        low, _ = ax.get_ylim()  # metrics are fractions: show [lowest - margin, 1] (never below 0)
        ax.set_ylim(max(0.0, min(low, 0.95) - 0.02), 1.02)
        ax.set_ylabel(METRIC_LABELS.get(metric, metric))
        ax.grid(True, alpha=0.3)
    fig.suptitle(f"Fig. {group.meta.get('figure') or '?'} analogue: {group.meta.get('title') or group.name} "
                 f"({group.dim}D)", fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    return Path(path)


def _lines(ax, group: ExperimentResults, metric: str) -> None:
    for i, method in enumerate(group.methods):
        stats = [(v, s) for v in group.values if (s := group.aggregate(v, method, metric)).mean is not None]
        if not stats:
            continue
        xs = [v for v, _ in stats]
        (line,) = ax.plot(xs, [s.mean for _, s in stats], marker=MARKERS[i % len(MARKERS)],
                          linestyle=LINESTYLES[i % len(LINESTYLES)], markersize=6 + 2 * (i == 0),
                          label=method_label(method))
        ax.fill_between(xs, [max(0.0, s.mean if s.lower is None else s.lower) for _, s in stats],  # metrics in [0, 1]
                        [min(1.0, s.mean if s.upper is None else s.upper) for _, s in stats],
                        color=line.get_color(), alpha=0.18, linewidth=0)
    if group.meta.get("log_x"):
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter("")  # no minor tick labels; the swept values are labelled below
    ax.set_xticks(group.values)
    ax.set_xticklabels([f"{v:g}" for v in group.values])
    ax.set_xlabel(group.meta.get("x_label") or group.meta.get("variable") or "value")
    ax.legend(fontsize=7)


def _points(ax, group: ExperimentResults, metric: str) -> None:
    value = group.values[0]
    for i, method in enumerate(group.methods):
        stat = group.aggregate(value, method, metric)
        if stat.mean is not None and stat.lower is not None:
            ax.errorbar([i], [stat.mean], yerr=[[stat.mean - stat.lower], [stat.upper - stat.mean]], fmt="o", capsize=3)
        elif stat.mean is not None:
            ax.plot([i], [stat.mean], "o")
    ax.set_xticks(range(len(group.methods)))
    ax.set_xticklabels([method_label(m) for m in group.methods], rotation=60, ha="right", fontsize=7)
    ax.set_xlabel(f"{group.meta.get('x_label') or 'value'} = {value:g}")
