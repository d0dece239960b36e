"""ROC curves of every class x score source in one PNG (matplotlib Agg canvas, atomic write)."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Union

import pandas as pd

from segcls3d.evaluate.predictions import evaluate_predictions
from segcls3d.evaluate.result import ClassResult, EvaluationResult
from segcls3d.io import atomic_path
from segcls3d.labels import CaseLabels

PathLike = Union[str, Path]


def plot_roc_result(result: EvaluationResult, path: PathLike, title: str = "ROC") -> Path:
    """Plot the ROC curves of an :func:`evaluate_predictions` result to ``path`` (PNG)."""
    return plot_roc_curves(result.classes, path, title)


def plot_roc_curves(classes: Mapping[str, ClassResult], path: PathLike, title: str = "ROC") -> Path:
    """Plot the ROC curve of every class (legend name -> class result) and score source to ``path`` (PNG).

    Classes/sources without a curve (a single label value) are listed in the legend as undefined.
    """
    # matplotlib is slow to import and only needed for plots
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    palette = matplotlib.colormaps["tab10" if len(classes) <= 10 else "tab20"]
    styles = {"summarizer": "-", "head": "--"}
    fig = Figure(figsize=(6, 6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot([0, 1], [0, 1], linestyle=":", color="0.6", linewidth=1, label="chance")
    for i, (name, class_result) in enumerate(classes.items()):
        color = palette(i % palette.N)
        for source, src in class_result.sources.items():
            curve = src.roc_curve
            style = styles.get(source, "-.")
            if curve is None:
                ax.plot([], [], color=color, linestyle=style, label=f"{name} ({source}): AUROC n/a")
                continue
            ax.plot(list(curve.fpr), list(curve.tpr), color=color, linestyle=style, linewidth=1.5,
                    label=f"{name} ({source}): AUROC {src.auroc.value:.3f}")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_xlabel("false positive rate (1 - specificity)")
    ax.set_ylabel("true positive rate (sensitivity)")
    ax.set_title(title)
    ax.set_aspect("equal")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", frameon=False)
    with atomic_path(path) as tmp:
        fig.savefig(str(tmp), format="png", bbox_inches="tight")
    return Path(path)


def plot_roc(predictions: Union[pd.DataFrame, PathLike], labels: Union[CaseLabels, PathLike], path: PathLike) -> Path:
    """Evaluate (without bootstrap) and plot the ROC curves of ``predictions`` against ``labels``.

    Raises:
        InputDataError, LabelFileError: see :func:`segcls3d.evaluate.evaluate_predictions`.
    """
    return plot_roc_result(evaluate_predictions(predictions, labels, n_bootstrap=0), path)
