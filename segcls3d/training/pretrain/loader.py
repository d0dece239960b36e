"""Batches of multi-crop views, produced by nnU-Net's (multi-threaded) augmenters."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from batchgenerators.dataloading.nondet_multi_threaded_augmenter import NonDetMultiThreadedAugmenter
from batchgenerators.dataloading.single_threaded_augmenter import SingleThreadedAugmenter
from nnunetv2.training.dataloading.data_loader import nnUNetDataLoader
from nnunetv2.utilities.default_n_proc_DA import get_allowed_n_proc_DA
from threadpoolctl import threadpool_limits

from segcls3d.training.pretrain.views import ViewCropper, ViewKind


class MultiCropLoader(nnUNetDataLoader):
    """Batches of multi-crop views: ``{'views': [tensor (B, C, *size) per view], 'keys': [...]}``.

    Views are ordered by kind (all global views first, as DINO's loss expects), each case loaded once.
    ``data`` is an nnU-Net dataset (or :class:`~segcls3d.training.pretrain.cases.PretrainCases`).
    """

    def __init__(self, data, batch_size: int, kinds: Sequence[ViewKind], configuration_manager, label_manager):
        largest = max(kinds, key=lambda k: int(np.prod(k.size)))
        super().__init__(data, batch_size, largest.size, largest.size, label_manager)
        self.croppers = [ViewCropper(data, kind, configuration_manager, label_manager) for kind in kinds]

    def generate_train_batch(self) -> dict:
        keys = self.get_indices()
        views: list[list[torch.Tensor]] = [[] for _ in range(sum(c.kind.count for c in self.croppers))]
        with torch.no_grad(), threadpool_limits(limits=1, user_api=None):
            for key in keys:
                data, seg, _, _ = self._data.load_case(key)
                index = 0
                for cropper in self.croppers:
                    for _ in range(cropper.kind.count):
                        views[index].append(cropper.view(data, seg))
                        index += 1
        return {"views": [torch.stack(v) for v in views], "keys": keys}


def start_augmenter(cases, batch_size: int, kinds: Sequence[ViewKind], configuration_manager, label_manager,
                    device: torch.device):
    """A :class:`MultiCropLoader` behind nnU-Net's augmenter: in-process when ``nnUNet_n_proc_DA`` is 0,
    else ``NonDetMultiThreadedAugmenter`` with that many workers (as ``nnUNetTrainer.get_dataloaders``)."""
    loader = MultiCropLoader(cases, batch_size, kinds, configuration_manager, label_manager)
    n_proc = get_allowed_n_proc_DA()
    if n_proc == 0:
        return SingleThreadedAugmenter(loader, None)
    return NonDetMultiThreadedAugmenter(loader, None, n_proc, max(6, n_proc // 2), None, device.type == "cuda", 0.002)
