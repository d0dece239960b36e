"""Trained summarizing functions (Hooper et al. 2023, Section 3.2 and Appendix A2.2).

Fitted on a model's out-of-fold validation probabilities (``nnUNetv2_train ... --npz``) with
:func:`fit_summarizer` / ``segcls3d summarize fit``, saved as one JSON file with
:func:`segcls3d.summarize.save_summarizer`, applied with ``segcls3d predict --summarizer FILE``.
Importing this package registers the kinds ``tuned_threshold``, ``trained_map``,
``trained_embedding`` and ``calibrated`` (any of them, or the rule-based g, plus a calibrator per
class, ``FitOptions(calibrate=...)``) for :func:`segcls3d.summarize.load_summarizer` (torch is
imported lazily).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

from segcls3d.summarize.base import load_summarizer
from segcls3d.summarize.trained.base import TrainedSummarizerBase
from segcls3d.summarize.trained.calibrated import CalibratedSummarizer
from segcls3d.summarize.trained.calibration_fit import CalibrationCheck, calibration_rows, check_calibration
from segcls3d.summarize.trained.embedding_summarizer import EmbeddingSummarizer
from segcls3d.summarize.trained.features import LAYERS, embedding_module, extract_features
from segcls3d.summarize.trained.fit import METHODS, FitOptions, fit_summarizer, summarize_fit
from segcls3d.summarize.trained.map_summarizer import MapSummarizer
from segcls3d.summarize.trained.model_info import ModelInfo, read_model_info
from segcls3d.summarize.trained.threshold import TunedThresholdSummarizer
from segcls3d.summarize.trained.training import LEARNING_RATES


def load_trained_summarizer(path: Union[str, Path], model_folder: Optional[Union[str, Path]] = None):
    """Load a summarizer file; with ``model_folder``, refuse it if the model's label set differs.

    Raises:
        ModelFolderError: unreadable file, or (trained summarizers) another label set than the model's.
    """
    summarizer = load_summarizer(path)
    if model_folder is not None and isinstance(summarizer, TrainedSummarizerBase):
        summarizer.check_model_folder(model_folder)
    return summarizer


__all__ = [
    "CalibratedSummarizer",
    "CalibrationCheck",
    "calibration_rows",
    "check_calibration",
    "EmbeddingSummarizer",
    "FitOptions",
    "LAYERS",
    "LEARNING_RATES",
    "METHODS",
    "MapSummarizer",
    "ModelInfo",
    "TrainedSummarizerBase",
    "TunedThresholdSummarizer",
    "embedding_module",
    "extract_features",
    "fit_summarizer",
    "load_trained_summarizer",
    "read_model_info",
    "summarize_fit",
]
