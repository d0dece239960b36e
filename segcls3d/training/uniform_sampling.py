"""The paper's (and nnU-Net's) unbalanced sampling: each case drawn uniformly, a third of each batch
foreground-forced; label-aware sampling off.

Validation patches stay balanced (``validation_positive_fraction``), so a model trained either way is
measured the same way.
"""
from __future__ import annotations

from segcls3d.training.cls import nnUNetTrainerCls
from segcls3d.training.multitask import nnUNetTrainerMultitask
from segcls3d.training.segcls import nnUNetTrainerSegCls


class nnUNetTrainerSegClsUniformSampling(nnUNetTrainerSegCls):
    """SegCls with nnU-Net's uniform case draw in training."""

    positive_fraction = None
    foreground_share = None


class nnUNetTrainerClsUniformSampling(nnUNetTrainerCls):
    """The classification baseline without class-balanced batches (the paper's setting)."""

    positive_fraction = None
    foreground_share = None


class nnUNetTrainerMultitaskUniformSampling(nnUNetTrainerMultitask):
    """Multitask with nnU-Net's uniform case draw in training."""

    positive_fraction = None
    foreground_share = None
