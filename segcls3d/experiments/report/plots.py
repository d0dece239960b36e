"""PNG plots of the experiment report: metric vs swept variable, one line per method, shaded 95% CIs.

An experiment with a single swept value (the summarizer comparison at one training size) is drawn
as one point per method with error bars instead, like the paper's Figure 6.
"""
from __future__ import annotations

from pathlib import Path

from segcls3d.experiments.plan.methods import method_label
from segcls3d.experiments.report.gather import ExperimentResults
from segcls3d.experiments.report.tables import METRIC_LABELS
from segcls3d.io import atomic_path


def plot_experiment(group: ExperimentResults, metrics: list[str], path: Path) -> Path:
    """One panel per metric; written atomically as PNG (matplotlib's Agg canvas, no pyplot state)."""
    from matplotlib.figure import Figure  # matplotlib is slow to import and only needed for plots

    fig = Figure(figsize=(5.2 * len(metrics), 4.2))
    axes = fig.subplots(1, len(metrics), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        if len(group.values) == 1:
            _points(ax, group, metric)
        else:
            _lines(ax, group, metric)
        ax.set_ylabel(METRIC_LABELS.get(metric, metric))
        ax.grid(True, alpha=0.3)
    fig.suptitle(f"Fig. {group.meta.get('figure') or '?'} analogue: {group.meta.get('title') or group.name} "
                 f"({group.dim}D)", fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    return Path(path)


MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h", "*", "p")
LINESTYLES = ("-", "--", "-.", ":")


def _lines(ax, group: ExperimentResults, metric: str) -> None:
    for i, method in enumerate(group.methods):
        xs, means, lows, highs = [], [], [], []
        for value in group.values:
            stat = group.aggregate(value, method, metric)
            if stat.mean is None:
                continue
            xs.append(value)
            means.append(stat.mean)
            lows.append(stat.lower if stat.lower is not None else stat.mean)
            highs.append(stat.upper if stat.upper is not None else stat.mean)
        if not xs:
            continue
        (line,) = ax.plot(xs, means, marker=MARKERS[i % len(MARKERS)], linestyle=LINESTYLES[i % len(LINESTYLES)],
                          markersize=6 + 2 * (i == 0), label=method_label(method))
        lows, highs = [max(0.0, v) for v in lows], [min(1.0, v) for v in highs]  # all metrics lie in [0, 1]
        ax.fill_between(xs, lows, highs, color=line.get_color(), alpha=0.18, linewidth=0)
    if group.meta.get("log_x"):
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter("")  # no minor tick labels; the swept values are labelled below
    ax.set_xticks(group.values)
    ax.set_xticklabels([f"{v:g}" for v in group.values])
    _y_limits(ax)
    ax.set_xlabel(group.meta.get("x_label") or group.meta.get("variable") or "value")
    ax.legend(fontsize=7)


def _points(ax, group: ExperimentResults, metric: str) -> None:
    value = group.values[0]
    labels = []
    for i, method in enumerate(group.methods):
        stat = group.aggregate(value, method, metric)
        labels.append(method_label(method))
        if stat.mean is None:
            continue
        if stat.lower is not None:
            err = [[stat.mean - stat.lower], [stat.upper - stat.mean]]
            ax.errorbar([i], [stat.mean], yerr=err, fmt="o", capsize=3)
        else:
            ax.plot([i], [stat.mean], "o")
    _y_limits(ax)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=7)
    ax.set_xlabel(f"{group.meta.get('x_label') or 'value'} = {value:g}")


def _y_limits(ax) -> None:
    """Metrics are fractions: show [lowest - margin, 1] (never below 0)."""
    low, _ = ax.get_ylim()
    ax.set_ylim(max(0.0, min(low, 0.95) - 0.02), 1.02)
