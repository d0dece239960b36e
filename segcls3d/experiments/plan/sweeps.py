"""The paper's synthetic experiments as data: which knob is swept, over which values, what is measured.

Hooper et al. (2023), Section 4.1 / Figure 5 and Table A3: each experiment changes one variable of the
TRAINING distribution (the test split stays unbiased); the summarizer comparison is Section 4.2.1 / Figure 6.

Example:
    >>> s = Sweep("prevalence_low", "5b", "Low class prevalence", "prevalence", both(0.05, 0.5))
    >>> s.values[3], s.letter
    ((0.05, 0.5), 'b')
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping, Optional

#: Swept variable -> its axis label in the report.
X_LABELS: Mapping[str, str] = MappingProxyType({
    "n_train": "training images",
    "prevalence": "training prevalence p_pos",
    "size_bias": "size bias (fraction of medium/large targets in training)",
    "target_size": "target radius (voxels)",
    "spurious": "spurious correlation strength p_spur (training)",
    "location_bias": "location bias (training targets pulled to the centre)",
    "label_fraction": "fraction of training images with labels (masks; class labels for Cls)",
})
#: The experiments in the paper's order (letters a-i in the CLI and the report): name, figure panel,
#: title, swept variable, options of :class:`Sweep`.
EXPERIMENTS: tuple[tuple[str, str, str, str, dict], ...] = (
    ("training_size", "5a", "Number of training images", "n_train", dict(log_x=True)),
    ("prevalence_low", "5b", "Low class prevalence in training", "prevalence", {}),
    ("prevalence_high", "5c", "High class prevalence in training", "prevalence", {}),
    ("size_bias", "5d", "Rare subtype: small targets made rare in training (test: small targets only)",
     "size_bias", dict(small_target_slice=True)),
    ("target_size", "5e", "Target (and distractor) size", "target_size", {}),
    ("spurious", "5f", "Spurious correlate in training only", "spurious", {}),
    ("location_bias", "5g", "Target location restricted in training only", "location_bias", {}),
    ("summarizers", "6", "Summarizing functions vs classification and multitask", "n_train",
     dict(log_x=True, summarizer_comparison=True)),
    ("semisup", "7", "Label fraction: classification vs seg-for-class, semi-supervised and boosted "
     "semi-supervised (Fig. 7, Table A8)", "label_fraction", dict(log_x=True)),  # f = 1: the abundant setting
)
EXPERIMENT_LETTERS: Mapping[str, str] = MappingProxyType({e[0]: "abcdefghi"[i] for i, e in enumerate(EXPERIMENTS)})


@dataclass(frozen=True)
class Sweep:
    """One experiment: the variable swept, its values per dimension, fixed changes, what is reported.

    Raises:
        ValueError: unknown variable, or no values for a dimension.
    """

    name: str  # ``training_size``, ... (see :data:`EXPERIMENTS`)
    figure: str  # the paper's panel: ``"5a"``, ``"6"``
    title: str
    variable: str  # the swept quantity, a key of :data:`X_LABELS`
    values: Mapping[int, tuple[float, ...]]  # per dimension (2, 3)
    # changed for this experiment only: SynthConfig fields, ``n_train``, or ``spurious_size_factor``
    # (spurious object radius = factor x target radius)
    fixed: Mapping[str, Any] = field(default_factory=dict)
    log_x: bool = False  # plot the variable on a log axis
    small_target_slice: bool = False  # also report recall on the small-target test slice (rare subtype)
    summarizer_comparison: bool = False  # every summarizing function on cross-validated SegCls models

    def __post_init__(self) -> None:
        if self.variable not in X_LABELS:
            raise ValueError(f"experiment {self.name}: unknown variable {self.variable!r}; one of {tuple(X_LABELS)}")
        for dim in (2, 3):
            if not self.values.get(dim):
                raise ValueError(f"experiment {self.name}: no values for {dim}D")

    @property
    def letter(self) -> str:
        return EXPERIMENT_LETTERS.get(self.name, "?")



def paper_sweeps(values: Mapping[str, Mapping[int, tuple[float, ...]]],
                 fixed: Optional[Mapping[str, Mapping[str, Any]]] = None) -> Mapping[str, Sweep]:
    """Every experiment of :data:`EXPERIMENTS` with the given values (and fixed settings) by name."""
    return MappingProxyType({name: Sweep(name, fig, title, var, MappingProxyType(dict(values[name])),
                                         MappingProxyType(dict((fixed or {}).get(name, {}))), **extra)
                             for name, fig, title, var, extra in EXPERIMENTS})


def both(*values: float) -> dict[int, tuple[float, ...]]:
    """The same values in 2D and 3D."""
    return {2: tuple(values), 3: tuple(values)}


def value_label(value: float) -> str:
    """Folder name of a swept value: ``80``, ``0.05``, ``2.5`` (``%g``)."""
    return f"{float(value):g}"
