"""Trained summarizers on frozen nnU-Net embeddings: ``embedding_simple`` / ``embedding_complex``.

Kind ``trained_embedding``. The class maps alone are not enough: the summarizer sets
``needs_features = True`` and ``segcls3d predict`` asks it for the case's features with
:meth:`EmbeddingSummarizer.case_features` (preprocessing + one sliding-window pass per fold, see
:mod:`segcls3d.summarize.trained.features`) and passes them to ``summarize(..., features=...)``.
The head is applied to each fold's features and the probabilities are averaged over folds (it was
fitted on features of all folds, each case's from the fold that did not train on it).
"""
from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import numpy as np

from segcls3d.errors import InputDataError, ModelFolderError
from segcls3d.summarize.base import register_summarizer
from segcls3d.summarize.trained.base import TrainedSummarizerBase
from segcls3d.summarize.trained.features import ensemble_features, preprocess_case
from segcls3d.summarize.trained.heads import EMBEDDING_METHODS, build_head
from segcls3d.summarize.trained.weights import decode_state_dict, encode_state_dict

_OWN_KEYS = ("layer", "layer_name", "feature_channels", "feature_grid", "step_size", "weights")


@register_summarizer("trained_embedding")
class EmbeddingSummarizer(TrainedSummarizerBase):
    """A trained head on decoder features of the model's own network.

    Args:
        method: ``embedding_simple`` or ``embedding_complex``.
        layer: ``shallow`` or ``deep``; ``layer_name`` the module it resolved to (``decoder.stages[i]``).
        feature_channels: channels of that layer's output; ``feature_grid``: pooled size per axis.
        step_size: sliding-window step of the feature pass.
        module / weights: the trained head or its encoded state dict.

    Raises:
        ValueError: unknown method or weights that do not fit the head.
    """

    kind = "trained_embedding"
    needs_features = True

    def __init__(self, method: str, classes: Sequence[str], model: Mapping[str, Any], layer: str, layer_name: str,
                 feature_channels: int, feature_grid: Sequence[int], step_size: float = 0.5, module=None,
                 weights: Optional[Mapping[str, Any]] = None, **common):
        super().__init__(method, classes, model, **common)
        if self.method not in EMBEDDING_METHODS:
            raise ValueError(f"trained_embedding: method must be one of {EMBEDDING_METHODS}, got {method!r}")
        self.layer, self.layer_name = str(layer), str(layer_name)
        self.feature_channels = int(feature_channels)
        self.feature_grid = tuple(int(g) for g in feature_grid)
        self.step_size = float(step_size)
        if module is None:
            if weights is None:
                raise ValueError("trained_embedding: needs a module or weights")
            module = build_head(self.method, self.feature_channels, self.feature_grid, len(self.classes))
            try:
                module.load_state_dict(decode_state_dict(weights))
            except RuntimeError as exc:
                raise ValueError(f"trained_embedding: weights do not fit the {self.method} head: {exc}") from None
        self.module = module.eval()

    def to_dict(self) -> dict:
        return {**self.common_dict(), "layer": self.layer, "layer_name": self.layer_name,
                "feature_channels": self.feature_channels, "feature_grid": list(self.feature_grid),
                "step_size": self.step_size, "weights": encode_state_dict(self.module.state_dict())}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "EmbeddingSummarizer":
        common, own = cls.split_dict(d, _OWN_KEYS)
        return cls(**common, **own)

    def case_features(self, predictor, image: np.ndarray, properties: dict) -> np.ndarray:
        """Features (n_folds, C, *grid) of a raw case (as read by the plan's reader) for every fold.

        Raises:
            ModelFolderError: the network's layer has another number of channels than at fitting.
        """
        data = preprocess_case(predictor, image, properties)
        features = ensemble_features(predictor, data, self.layer, self.feature_grid, self.step_size)
        if features.shape[1] != self.feature_channels:
            raise ModelFolderError(f"{self.layer_name} has {features.shape[1]} channels in this network, the "
                                   f"summarizer was fitted on {self.feature_channels}: another architecture")
        return features

    def probabilities(self, class_maps: Mapping[str, np.ndarray], features=None) -> np.ndarray:
        import torch

        if features is None:
            raise InputDataError(f"the {self.method} summarizer needs the network's features "
                                 "(apply it with `segcls3d predict --summarizer FILE`)")
        x = torch.as_tensor(np.asarray(features, dtype=np.float32))
        if x.ndim == len(self.feature_grid) + 1:
            x = x[None]
        if tuple(x.shape[1:]) != (self.feature_channels, *self.feature_grid):
            raise InputDataError(f"features of shape {tuple(x.shape[1:])}, expected "
                                 f"{(self.feature_channels, *self.feature_grid)}")
        with torch.no_grad():
            return torch.sigmoid(self.module(x).float()).mean(0).numpy().astype(np.float64)
