"""Trained summarizers on the class probability maps: ``fc``, ``gap_fc`` and ``cnn`` (kind ``trained_map``).

Example (after ``segcls3d summarize fit ... --method fc -o fc.json``)::

    s = load_summarizer("fc.json")
    s.summarize({"lesion": probability_map}, spacing=(1.5, 1.0, 1.0))["lesion"].probability
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from segcls3d.summarize.base import register_summarizer
from segcls3d.summarize.trained.base import TrainedSummarizerBase
from segcls3d.summarize.trained.grid import maps_to_grid
from segcls3d.summarize.trained.heads import MAP_METHODS, build_head
from segcls3d.summarize.trained.weights import decode_state_dict, encode_state_dict


@register_summarizer("trained_map")
class MapSummarizer(TrainedSummarizerBase):
    """A trained head on the class probability maps average-pooled onto ``grid``.

    Args:
        method: ``fc``, ``gap_fc`` or ``cnn`` (see :mod:`segcls3d.summarize.trained.heads`).
        grid: pooled size per spatial axis, (y, x) for single-slice 2D images or (z, y, x).
        module: the trained torch module (or ``weights``, its encoded state dict).
        Other arguments: see :class:`TrainedSummarizerBase`.

    Raises:
        ValueError: unknown method or weights that do not fit the head.
    """

    kind = "trained_map"

    def __init__(self, method: str, classes: Sequence[str], model: Mapping[str, Any], grid: Sequence[int],
                 module=None, weights: Mapping[str, Any] | None = None, **common):
        super().__init__(method, classes, model, **common)
        if self.method not in MAP_METHODS:
            raise ValueError(f"trained_map: method must be one of {MAP_METHODS}, got {method!r}")
        self.grid = tuple(int(g) for g in grid)
        if module is None:
            if weights is None:
                raise ValueError("trained_map: needs a module or weights")
            module = build_head(self.method, len(self.classes), self.grid, len(self.classes))
            try:
                module.load_state_dict(decode_state_dict(weights))
            except RuntimeError as exc:
                raise ValueError(f"trained_map: weights do not fit the {self.method} head: {exc}") from None
        self.module = module.eval()

    def to_dict(self) -> dict:
        return {**self.common_dict(), "grid": list(self.grid), "weights": encode_state_dict(self.module.state_dict())}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "MapSummarizer":
        common, own = cls.split_dict(d, ("grid", "weights"))
        return cls(grid=own["grid"], weights=own["weights"], **common)

    def model_input(self, class_maps: Mapping[str, np.ndarray]):
        """The head's input for one case: tensor (1, n_classes, *grid)."""
        return maps_to_grid(class_maps, self.classes, self.grid)[None]

    def probabilities(self, class_maps: Mapping[str, np.ndarray], features=None) -> np.ndarray:
        import torch

        with torch.no_grad():
            return torch.sigmoid(self.module(self.model_input(class_maps)).float())[0].numpy().astype(np.float64)
