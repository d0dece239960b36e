"""What the semi-supervised trainers require of a dataset and configuration.

Unlabeled cases (mask all ``ignore``) are found by :mod:`segcls3d.training.unannotated`.
"""
from __future__ import annotations

from segcls3d.errors import SegCls3dError


def require_label_training(trainer, what: str) -> None:
    """The semi-supervised trainers use softmax pseudo labels: no region-based or cascaded training.

    Raises:
        SegCls3dError: the dataset is region-based or the configuration is a cascade stage.
    """
    if trainer.label_manager.has_regions:
        raise SegCls3dError(f"{what} supports label (softmax) datasets only, not region-based training")
    if trainer.is_cascaded:
        raise SegCls3dError(f"{what} does not support cascaded configurations")
