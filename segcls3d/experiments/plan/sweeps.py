"""The paper's synthetic experiments as data: which knob is swept, over which values, what is measured.

Hooper et al. (2023), Section 4.1 / Figure 5 and Table A3: each experiment changes one variable of
the TRAINING distribution (the test split stays unbiased) and compares classification with
segmentation-for-classification; the summarizer comparison follows Section 4.2.1 / Figure 6.

Example:
    >>> s = Sweep("prevalence_low", "5b", "Low class prevalence", "prevalence", {2: (0.05, 0.5), 3: (0.05, 0.5)})
    >>> s.values_for(3)
    (0.05, 0.5)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

#: Experiment names in the paper's order, with the panel letter used in the CLI and the report.
EXPERIMENT_LETTERS: Mapping[str, str] = MappingProxyType({
    "training_size": "a",
    "prevalence_low": "b",
    "prevalence_high": "c",
    "size_bias": "d",
    "target_size": "e",
    "spurious": "f",
    "location_bias": "g",
    "summarizers": "h",
    "semisup": "i",
})
SWEPT_VARIABLES = ("n_train", "prevalence", "size_bias", "target_size", "spurious", "location_bias", "label_fraction")
X_LABELS: Mapping[str, str] = MappingProxyType({
    "n_train": "training images",
    "prevalence": "training prevalence p_pos",
    "size_bias": "size bias (fraction of medium/large targets in training)",
    "target_size": "target radius (voxels)",
    "spurious": "spurious correlation strength p_spur (training)",
    "location_bias": "location bias (training targets pulled to the centre)",
    "label_fraction": "fraction of training images with labels (masks; class labels for Cls)",
})


@dataclass(frozen=True)
class Sweep:
    """One experiment: the variable swept, its values per dimension, fixed changes, what is reported.

    Args:
        name: experiment name (``training_size``, ...); see :data:`EXPERIMENT_LETTERS`.
        figure: the paper's panel (``"5a"``, ``"6"``).
        title: one-line description for the report.
        variable: the swept quantity, one of :data:`SWEPT_VARIABLES`.
        values: swept values per dimension (2, 3).
        fixed: other settings changed for this experiment only: SynthConfig fields, ``n_train``, or
            ``spurious_size_factor`` (spurious object radius = factor x target radius).
        log_x: plot the variable on a log axis.
        small_target_slice: also report recall on the small-target test slice (rare subtype).
        summarizer_comparison: every summarizing function on cross-validated SegCls models.

    Raises:
        ValueError: unknown variable, or no values for a dimension.
    """

    name: str
    figure: str
    title: str
    variable: str
    values: Mapping[int, tuple[float, ...]]
    fixed: Mapping[str, Any] = field(default_factory=dict)
    log_x: bool = False
    small_target_slice: bool = False
    summarizer_comparison: bool = False

    def __post_init__(self) -> None:
        if self.variable not in SWEPT_VARIABLES:
            raise ValueError(f"experiment {self.name}: unknown variable {self.variable!r}; one of {SWEPT_VARIABLES}")
        for dim in (2, 3):
            if not self.values.get(dim):
                raise ValueError(f"experiment {self.name}: no values for {dim}D")

    @property
    def letter(self) -> str:
        return EXPERIMENT_LETTERS.get(self.name, "?")

    @property
    def x_label(self) -> str:
        return X_LABELS[self.variable]

    def values_for(self, dim: int) -> tuple[float, ...]:
        """The swept values in ``dim`` dimensions."""
        return tuple(self.values[dim])


def both(*values: float) -> dict[int, tuple[float, ...]]:
    """The same values in 2D and 3D."""
    return {2: tuple(values), 3: tuple(values)}


def value_label(value: float) -> str:
    """Folder name of a swept value: ``80``, ``0.05``, ``2.5`` (``%g``)."""
    return f"{float(value):g}"
