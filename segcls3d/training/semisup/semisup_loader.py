"""nnU-Net's data loader with labeled and unlabeled cases in every batch.

The first ``n_labeled`` samples of a batch are drawn from the labeled training cases (with nnU-Net's
foreground oversampling within them), the rest from the unlabeled ones (uniformly random crops);
all go through nnU-Net's augmentation. The batch gets ``n_labeled`` next to ``data``/``target``/``keys``.
With ``require_unlabeled=False`` a training set without unlabeled cases gives all-labeled batches.
"""
from __future__ import annotations

import numpy as np
from nnunetv2.training.dataloading.data_loader import nnUNetDataLoader

from segcls3d.errors import InputDataError
from segcls3d.training.unannotated import split_labeled_unlabeled


def unlabeled_count(batch_size: int, unlabeled_fraction: float) -> int:
    """Unlabeled samples per batch: ``round(batch_size * fraction)``, at least 1 and leaving 1 labeled.

    Raises:
        InputDataError: batch size below 2 (a batch cannot hold both kinds).
    """
    if batch_size < 2:
        raise InputDataError(f"semi-supervised training needs a batch size of at least 2 (plans say {batch_size}); "
                             "use plans with a larger batch (e.g. a segcls3d plans preset)")
    return int(min(batch_size - 1, max(1, round(batch_size * unlabeled_fraction))))


class SemiSupervisedDataLoader(nnUNetDataLoader):
    """Batches of ``batch_size - n_unlabeled`` labeled then ``n_unlabeled`` unlabeled patches."""

    def __init__(self, data, batch_size: int, *args, unlabeled_fraction: float = 0.5, require_unlabeled: bool = True,
                 **kwargs):
        super().__init__(data, batch_size, *args, **kwargs)
        self.labeled_keys, self.unlabeled_keys = split_labeled_unlabeled(
            data.source_folder, data.identifiers, self.annotated_classes_key, self.has_ignore)
        if not self.unlabeled_keys and require_unlabeled:
            raise InputDataError(
                "no unlabeled case (mask all 'ignore') among the training cases; mark unlabeled images with "
                "`segcls3d pseudolabel partial --positives ignore` or use a supervised trainer")
        if not self.labeled_keys:
            raise InputDataError("no labeled case among the training cases: semi-supervised training needs some masks")
        self.n_unlabeled = unlabeled_count(batch_size, unlabeled_fraction) if self.unlabeled_keys else 0
        self.n_labeled = batch_size - self.n_unlabeled
        self._labeled_oversample = self.get_do_oversample
        self.get_do_oversample = self._oversample

    def get_indices(self):
        return list(np.random.choice(self.labeled_keys, self.n_labeled, replace=True)) + \
            list(np.random.choice(self.unlabeled_keys, self.n_unlabeled, replace=True))

    def _oversample(self, sample_idx: int) -> bool:
        """nnU-Net's rule within the labeled part; unlabeled samples: force_fg on a case without
        annotated voxels, which nnU-Net's get_bbox answers with a uniformly random crop."""
        if sample_idx >= self.n_labeled:
            return True
        if self._labeled_oversample == self._probabilistic_oversampling:
            return self._probabilistic_oversampling(sample_idx)
        return not sample_idx < round(self.n_labeled * (1 - self.oversample_foreground_percent))

    def generate_train_batch(self) -> dict:
        batch = super().generate_train_batch()
        batch["n_labeled"] = self.n_labeled
        return batch
