"""Cross teaching between nnU-Net's CNN and a transformer (Luo et al. 2022, as used by S4MI Sec. 4.2.1).

Both networks see the same batches (labeled and unlabeled patches, nnU-Net's augmentation). Each is
trained with ``(Dice + CE) / 2`` on the labeled patches and with ``Dice(pred, argmax(other))`` on the
unlabeled ones, where ``other`` is the other network's (detached) prediction; the two losses are
summed (ramped up over the first ``rampup_fraction`` of the epochs; 0 disables the ramp). The CNN
keeps nnU-Net's optimizer and deep supervision (unsupervised term on its full-resolution output);
the transformer (MONAI SwinUNETR by default) has AdamW with a poly schedule.

The CNN is the exported network (``checkpoint_final.pth``; stock prediction); the transformer is
saved as ``checkpoint_*_transformer.pth`` for continued training.
"""
from __future__ import annotations

from functools import partial

import numpy as np
import torch
from nnunetv2.training.dataloading.data_loader import nnUNetDataLoader
from nnunetv2.training.loss.compound_losses import DC_and_CE_loss
from nnunetv2.training.loss.deep_supervision import DeepSupervisionWrapper
from nnunetv2.training.loss.dice import MemoryEfficientSoftDiceLoss
from nnunetv2.training.lr_scheduler.polylr import PolyLRScheduler
from nnunetv2.utilities.helpers import softmax_helper_dim1

from segcls3d.training.dataloaders import build_augmenters
from segcls3d.training.segcls import nnUNetTrainerSegCls
from segcls3d.training.semisup.companion_checkpoint import CompanionCheckpointMixin
from segcls3d.training.semisup.losses import rampup_weight
from segcls3d.training.semisup.requirements import require_label_training
from segcls3d.training.semisup.semisup_loader import SemiSupervisedDataLoader
from segcls3d.training.semisup.transformer import build_transformer
from segcls3d.training.steps import autocast_for, backward_and_step, highest_resolution, select_samples, to_device


def half_dice_half_ce(trainer, deep_supervision_loss=None):
    """nnU-Net's Dice + CE loss with weights 0.5/0.5; reuses ``deep_supervision_loss``'s inner loss if given."""
    if deep_supervision_loss is not None:
        inner = deep_supervision_loss.loss if isinstance(deep_supervision_loss, DeepSupervisionWrapper) \
            else deep_supervision_loss
        inner.weight_ce = inner.weight_dice = 0.5
        return deep_supervision_loss
    return DC_and_CE_loss({"batch_dice": trainer.configuration_manager.batch_dice, "smooth": 1e-5, "do_bg": False,
                           "ddp": trainer.is_ddp}, {}, weight_ce=0.5, weight_dice=0.5,
                          ignore_label=trainer.label_manager.ignore_label, dice_class=MemoryEfficientSoftDiceLoss)


class nnUNetTrainerCrossTeach(CompanionCheckpointMixin, nnUNetTrainerSegCls):
    """nnU-Net's CNN and a SwinUNETR teach each other on unlabeled (all-ignore) cases; the CNN is exported."""

    companion_name = "transformer"
    transformer_name: str = "swinunetr"
    transformer_feature_size: int | None = None  # MONAI default for the architecture
    transformer_lr: float = 1e-4
    transformer_weight_decay: float = 1e-5
    cross_teaching_weight: float = 1.0
    rampup_fraction: float = 0.1
    unlabeled_fraction: float = 0.5

    def _do_i_compile(self):
        return False

    def initialize(self):
        require_label_training(self, type(self).__name__)
        super().initialize()
        self.transformer = build_transformer(self.transformer_name, self.num_input_channels,
                                             self.label_manager.num_segmentation_heads,
                                             self.configuration_manager.patch_size,
                                             self.transformer_feature_size).to(self.device)
        self.transformer_optimizer = torch.optim.AdamW(self.transformer.parameters(), lr=self.transformer_lr,
                                                       weight_decay=self.transformer_weight_decay)
        self.transformer_scheduler = PolyLRScheduler(self.transformer_optimizer, self.transformer_lr, self.num_epochs)
        self.transformer_loss = half_dice_half_ce(self)
        self.pseudo_dice = MemoryEfficientSoftDiceLoss(apply_nonlin=softmax_helper_dim1, do_bg=False, smooth=1e-5,
                                                       batch_dice=self.configuration_manager.batch_dice,
                                                       ddp=self.is_ddp)
        self._transformer_log: list[float] = []
        self.print_to_log_file(f"cross teaching with {self.transformer_name}: "
                               f"{sum(p.numel() for p in self.transformer.parameters()):,} parameters")

    def _build_loss(self):
        return half_dice_half_ce(self, super()._build_loss())

    def get_dataloaders(self):
        loader = partial(SemiSupervisedDataLoader, unlabeled_fraction=self.unlabeled_fraction)
        return build_augmenters(self, loader, val_loader_class=nnUNetDataLoader)

    def on_train_epoch_start(self):
        super().on_train_epoch_start()
        self.transformer.train()
        self.transformer_scheduler.step(self.current_epoch)

    def train_step(self, batch: dict) -> dict:
        n = int(batch["n_labeled"])
        data = batch["data"].to(self.device, non_blocking=True)
        target = to_device(batch["target"], self.device)
        labeled = slice(0, n)
        self.optimizer.zero_grad(set_to_none=True)
        self.transformer_optimizer.zero_grad(set_to_none=True)
        with autocast_for(self.device):
            out_cnn = self.network(data)
            out_tr = self.transformer(data)
            cnn = highest_resolution(out_cnn)
            supervised_cnn = self.loss(select_samples(out_cnn, labeled), select_samples(target, labeled))
            supervised_tr = self.transformer_loss(out_tr[labeled], highest_resolution(target)[labeled])
            from_tr = out_tr[n:].detach().argmax(1, keepdim=True)
            from_cnn = cnn[n:].detach().argmax(1, keepdim=True)
            weight = self.cross_teaching_weight * rampup_weight(self.current_epoch, self.num_epochs,
                                                                self.rampup_fraction)
            loss_cnn = supervised_cnn + weight * self.pseudo_dice(cnn[n:], from_tr)
            loss_tr = supervised_tr + weight * self.pseudo_dice(out_tr[n:], from_cnn)
        backward_and_step(self, loss_cnn + loss_tr, [(self.transformer, self.transformer_optimizer)])
        self._transformer_log.append(float(loss_tr.detach()))
        return {"loss": loss_cnn.detach().cpu().numpy()}

    def on_train_epoch_end(self, train_outputs):
        super().on_train_epoch_end(train_outputs)
        if self._transformer_log:
            self.print_to_log_file(f"cross teaching: transformer train loss {np.mean(self._transformer_log):.4f}")
        self._transformer_log = []

    def companion_state(self) -> dict:
        return {"network_weights": self.transformer.state_dict(),
                "optimizer_state": self.transformer_optimizer.state_dict(),
                "transformer_name": self.transformer_name, "feature_size": self.transformer_feature_size}

    def load_companion_state(self, state: dict) -> None:
        self.transformer.load_state_dict(state["network_weights"])
        self.transformer_optimizer.load_state_dict(state["optimizer_state"])
