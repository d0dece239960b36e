"""Reliability diagrams: per class, mean predicted probability vs observed frequency per bin, with bin counts.

One panel per class (every score source a line; the diagonal is perfect calibration) and below it
the number of cases per bin. Ranking scores and single-label classes appear in the legend as n/a.
matplotlib Agg canvas, atomic write, like :mod:`segcls3d.evaluate.roc_plot`.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping, Union

import numpy as np

from segcls3d.evaluate.result import ClassResult, EvaluationResult
from segcls3d.io import atomic_path

PathLike = Union[str, Path]
__all__ = ["plot_reliability_result", "plot_reliability_diagrams"]

_STYLES = {"summarizer": ("-", "o"), "head": ("--", "s")}


def plot_reliability_result(result: EvaluationResult, path: PathLike) -> Path:
    """Plot the reliability diagrams of an :func:`evaluate_predictions` result to ``path`` (PNG)."""
    return plot_reliability_diagrams(result.classes, path)


def _draw_class(ax, ax_counts, name: str, class_result: ClassResult) -> None:
    ax.plot([0, 1], [0, 1], linestyle=":", color="0.6", linewidth=1, label="perfect calibration")
    sources = [(s, src.calibration) for s, src in class_result.sources.items() if src.calibration is not None]
    width = 1.0 / max(len(sources), 1)
    for j, (source, cal) in enumerate(sources):
        style, marker = _STYLES.get(source, ("-.", "^"))
        if not cal.available:
            ax.plot([], [], linestyle=style, color=f"C{j}", label=f"{source}: {cal.note}")
            continue
        filled = [b for b in cal.bins if b.n > 0]
        ax.plot([b.mean_predicted for b in filled], [b.observed_frequency for b in filled], linestyle=style,
                marker=marker, color=f"C{j}", label=f"{source}: ECE {cal.ece.value:.3f}, Brier {cal.brier.value:.3f}")
        lower = np.array([b.lower for b in cal.bins])
        bin_width = np.array([b.upper - b.lower for b in cal.bins])
        ax_counts.bar(lower + bin_width * width * j, [b.n for b in cal.bins], width=bin_width * width,
                      align="edge", color=f"C{j}", alpha=0.7, label=source)
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_title(name)
    ax.set_ylabel("observed frequency")
    ax.legend(loc="upper left", fontsize="x-small", frameon=False)
    ax_counts.set_xlim(-0.01, 1.01)
    ax_counts.set_xlabel("mean predicted probability")
    ax_counts.set_ylabel("cases")


def plot_reliability_diagrams(classes: Mapping[str, ClassResult], path: PathLike) -> Path:
    """One reliability diagram (plus bin counts) per class, all score sources together, to ``path`` (PNG)."""
    # matplotlib is slow to import and only needed for plots
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    n = max(len(classes), 1)
    n_cols = min(n, 4)
    n_rows = math.ceil(n / n_cols)
    fig = Figure(figsize=(4 * n_cols, 5 * n_rows), dpi=100)
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2 * n_rows, n_cols, height_ratios=[3, 1] * n_rows, hspace=0.6, wspace=0.3)
    for i, (name, class_result) in enumerate(classes.items()):
        row, col = divmod(i, n_cols)
        ax = fig.add_subplot(grid[2 * row, col])
        ax_counts = fig.add_subplot(grid[2 * row + 1, col], sharex=ax)
        _draw_class(ax, ax_counts, name, class_result)
        ax_counts.yaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle("Reliability (calibration) per class")
    with atomic_path(path) as tmp:
        fig.savefig(str(tmp), format="png", bbox_inches="tight")
    return Path(path)
