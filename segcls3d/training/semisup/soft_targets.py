"""Distillation from soft targets written by ``segcls3d pseudolabel soft`` (CheXseg Sec. 4.2).

Cases with a soft target (``softTargetsTr/<case>.npz`` in the raw dataset) are trained with
``distillation_loss(student logits, q, tau)`` — KL to the teacher's tempered probabilities q, with
the student's logits divided by the same tau, at every deep-supervision output (q average-pooled
to its size, nnU-Net's deep-supervision weights) — times ``soft_target_weight`` (default tau**2,
which keeps gradient sizes comparable to the hard loss, Hinton et al. 2015). Cases without one
(the labeled cases) get nnU-Net's loss on their masks. Each sample counts equally in the batch
loss. Because student and teacher share tau, the student learns the teacher's logits, so it is
used at temperature 1 for prediction like any nnU-Net model.

Soft targets reach each patch through nnU-Net's own cropping and spatial augmentation (see
:mod:`segcls3d.training.semisup.soft_target_loader`), after being put on the preprocessed grid once
(:mod:`segcls3d.training.semisup.soft_target_preprocessing`; needs ``nnUNet_raw`` at the first training).
Validation uses the hard (argmax) pseudo masks.
"""
from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Optional

import torch
from nnunetv2.paths import nnUNet_raw
from nnunetv2.training.dataloading.data_loader import nnUNetDataLoader
from nnunetv2.training.dataloading.nnunet_dataset import infer_dataset_class

from segcls3d.errors import SegCls3dError
from segcls3d.labels.soft_targets import soft_target_settings
from segcls3d.training.dataloaders import build_augmenters
from segcls3d.training.segcls import nnUNetTrainerSegCls
from segcls3d.training.semisup.losses import distillation_loss, resize_soft_target
from segcls3d.training.semisup.soft_target_loader import SoftTargetDataLoader
from segcls3d.training.semisup.soft_target_preprocessing import prepare_soft_targets, soft_target_cache_folder
from segcls3d.training.steps import autocast_for, backward_and_step, select_samples, to_device


class nnUNetTrainerSoftTargets(nnUNetTrainerSegCls):
    """Learns pseudo-labelled cases from the teacher's tempered probabilities (segcls3d pseudolabel soft)."""

    soft_target_weight: Optional[float] = None  # None: temperature ** 2

    def _soft_target_setup(self) -> Path:
        settings = soft_target_settings(self.dataset_json)
        self.temperature = float(settings["temperature"])
        cache = soft_target_cache_folder(self.preprocessed_dataset_folder_base,
                                         self.configuration_manager.data_identifier)
        tr_keys, _ = self.do_split()
        raw = Path(str(nnUNet_raw)) / self.plans_manager.dataset_name / settings["folder"] \
            if nnUNet_raw.is_set() else None
        if raw is None or not raw.is_dir():
            if not cache.is_dir():
                raise SegCls3dError(f"soft targets not found: set nnUNet_raw so that {self.plans_manager.dataset_name}/"
                                    f"{settings['folder']} can be read (needed once, to preprocess them)")
            self.print_to_log_file(f"segcls3d: raw soft targets not found, using the cached ones in {cache}")
            return cache
        if self.local_rank == 0:
            found = prepare_soft_targets(tr_keys, raw, self.preprocessed_dataset_folder, cache, self.dataset_class,
                                         self.plans_manager, self.configuration_manager,
                                         self.label_manager.has_regions)
            self.print_to_log_file(f"segcls3d: soft targets (tau={self.temperature}) for {len(found)} of "
                                   f"{len(tr_keys)} training case(s)")
        if self.is_ddp:
            torch.distributed.barrier()
        return cache

    def get_dataloaders(self):
        if self.dataset_class is None:
            self.dataset_class = infer_dataset_class(self.preprocessed_dataset_folder)
        folder = self._soft_target_setup()
        loader = partial(SoftTargetDataLoader, soft_target_folder=folder,
                         num_channels=self.label_manager.num_segmentation_heads,
                         has_regions=self.label_manager.has_regions)
        return build_augmenters(self, loader, val_loader_class=nnUNetDataLoader)

    def soft_loss(self, output, soft: torch.Tensor) -> torch.Tensor:
        """Distillation loss summed over deep-supervision outputs with nnU-Net's weights."""
        outputs = output if isinstance(output, (list, tuple)) else [output]
        weights = getattr(self.loss, "weight_factors", None) or (1.0,) * len(outputs)
        total = 0.0
        for out, w in zip(outputs, weights):
            if w:
                total = total + w * distillation_loss(out, resize_soft_target(soft, out.shape[2:]),
                                                      self.temperature, self.label_manager.has_regions)
        scale = self.temperature ** 2 if self.soft_target_weight is None else self.soft_target_weight
        return scale * total

    def train_step(self, batch: dict) -> dict:
        data = batch["data"].to(self.device, non_blocking=True)
        target = to_device(batch["target"], self.device)
        soft = batch["soft_target"].to(self.device, non_blocking=True)
        has_soft = batch["has_soft"].to(self.device)
        n, n_soft = data.shape[0], int(has_soft.sum())
        self.optimizer.zero_grad(set_to_none=True)
        with autocast_for(self.device):
            output = self.network(data)
            loss = 0.0
            if n_soft < n:
                hard = ~has_soft
                loss = loss + (n - n_soft) / n * self.loss(select_samples(output, hard), select_samples(target, hard))
            if n_soft:
                loss = loss + n_soft / n * self.soft_loss(select_samples(output, has_soft), soft[has_soft])
        backward_and_step(self, loss)
        return {"loss": loss.detach().cpu().numpy()}
