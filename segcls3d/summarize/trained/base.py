"""What every trained summarizer shares: metadata, the model check, and lesion statistics.

A trained summarizer file is one JSON document (see :func:`segcls3d.summarize.save_summarizer`)::

    {"kind": "trained_map", "method": "fc", "format_version": 1, "segcls3d_version": "0.1.0",
     "classes": ["lesion"], "model": {"labels": ..., "classes": ..., "channel_groups": ...,
     "dataset_name": ..., "configuration": ...}, "label_threshold": 0.5,
     "training": {"lr": ..., "lr_search": ..., "epochs": ..., "n_cases": ..., "folds": ...}, ...}

plus the kind's own keys (input grid, base64 weights). ``probability`` comes from the trained
function; ``label = probability >= label_threshold``; volume, components and centroids come from the
map binarized at 0.5, computed by :class:`~segcls3d.summarize.RuleBasedSummarizer`.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from segcls3d import __version__
from segcls3d.errors import InputDataError, ModelFolderError
from segcls3d.summarize.base import KIND_KEY, ClassSummary
from segcls3d.summarize.geometry import ImageGeometry
from segcls3d.summarize.rule_based import RuleBasedSummarizer
from segcls3d.summarize.trained.model_info import check_label_signature, label_signature, read_model_info

logger = logging.getLogger(__name__)
FORMAT_VERSION = 1
COMMON_KEYS = ("kind", "method", "format_version", "segcls3d_version", "classes", "model", "label_threshold",
               "training")
_STATISTICS = RuleBasedSummarizer(threshold=0.5, tau=0)


class TrainedSummarizerBase:
    """Base of the trained summarizers; subclasses set ``kind`` and implement ``probabilities``.

    Args:
        method: the fitting method (``fc``, ``cnn``, ``embedding_simple``, ...).
        classes: the image-level classes predicted, in output order.
        model: the model's label signature (:func:`label_signature`) plus descriptive keys.
        label_threshold: probability at or above which the label is 1.
        training: how it was fitted (learning rate search, epochs, cases, AUROCs).
    """

    kind = "trained"
    needs_features = False

    def __init__(self, method: str, classes: Sequence[str], model: Mapping[str, Any],
                 label_threshold: float = 0.5, training: Optional[Mapping[str, Any]] = None):
        missing = [k for k in ("labels", "classes", "channel_groups") if k not in model]
        if missing:
            raise ValueError(f"{self.kind}: 'model' lacks {missing}")
        if not classes:
            raise ValueError(f"{self.kind}: no classes")
        if not 0.0 <= float(label_threshold) <= 1.0:
            raise ValueError(f"{self.kind}: label_threshold must be in [0, 1], got {label_threshold!r}")
        self.method = str(method)
        self.classes = [str(c) for c in classes]
        self.model = dict(model)
        self.label_threshold = float(label_threshold)
        self.training = dict(training or {})

    # ------------------------------------------------------------------ serialisation
    def common_dict(self) -> dict:
        return {KIND_KEY: self.kind, "method": self.method, "format_version": FORMAT_VERSION,
                "segcls3d_version": __version__, "classes": list(self.classes), "model": dict(self.model),
                "label_threshold": self.label_threshold, "training": dict(self.training)}

    @classmethod
    def split_dict(cls, d: Mapping[str, Any], own_keys: Sequence[str]) -> tuple[dict, dict]:
        """Validate a ``to_dict()`` result: (common constructor kwargs, the kind's own keys).

        Raises:
            ValueError: wrong kind, newer file format, missing or unknown keys.
        """
        d = dict(d)
        if d.get(KIND_KEY) != cls.kind:
            raise ValueError(f"{cls.__name__}.from_dict: kind is {d.get(KIND_KEY)!r}, expected {cls.kind!r}")
        if int(d.get("format_version", 0)) > FORMAT_VERSION:
            raise ValueError(f"summarizer format version {d.get('format_version')} is newer than this segcls3d "
                             f"supports ({FORMAT_VERSION}); update segcls3d")
        missing = sorted(({"method", "classes", "model"} | set(own_keys)) - set(d))
        unknown = sorted(set(d) - set(COMMON_KEYS) - set(own_keys))
        if missing or unknown:
            raise ValueError(f"{cls.kind}: missing keys {missing}, unknown keys {unknown}")
        common = {k: d[k] for k in ("method", "classes", "model", "label_threshold", "training") if k in d}
        return common, {k: d[k] for k in own_keys}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(method={self.method!r}, classes={self.classes})"

    # ------------------------------------------------------------------ model check
    def check_model(self, model) -> None:
        """Refuse a loaded model (:class:`segcls3d.predict.LoadedModel`) with another label set.

        Raises:
            ModelFolderError: different labels/classes/channels, or a classifier-only model.
        """
        if getattr(model, "kind", "segmentation") == "classifier":
            raise ModelFolderError(f"{model.folder}: a classification network has no segmentation output; "
                                   "trained summarizers need a segmentation (or multitask) model")
        current = label_signature(model.dataset_json, model.classes, model.channel_groups)
        check_label_signature(self.model, current, str(model.folder))

    def check_model_folder(self, model_folder) -> None:
        """Like :meth:`check_model`, for a model folder on disk (no network is built)."""
        info = read_model_info(model_folder)
        check_label_signature(self.model, label_signature(info.dataset_json, info.classes, info.channel_groups),
                              str(model_folder))

    # ------------------------------------------------------------------ summarizing
    def probabilities(self, class_maps: Mapping[str, np.ndarray], features=None) -> np.ndarray:
        """Image-level probability per class (in ``self.classes`` order)."""
        raise NotImplementedError

    def summarize(self, class_maps: Mapping[str, np.ndarray], spacing: Sequence[float],
                  geometry: Optional[ImageGeometry] = None, features=None) -> dict[str, ClassSummary]:
        """Probability from the trained function, lesion statistics from the map binarized at 0.5.

        Raises:
            InputDataError: a class map is missing or has an unexpected shape.
        """
        missing = [c for c in self.classes if c not in class_maps]
        if missing:
            raise InputDataError(f"no probability map for class(es) {missing} (have {sorted(class_maps)})")
        probs = self.probabilities(class_maps, features)
        stats = _STATISTICS.summarize({c: class_maps[c] for c in self.classes}, spacing, geometry)
        return {c: replace(stats[c], probability=float(p), label=int(p >= self.label_threshold))
                for c, p in zip(self.classes, probs)}
