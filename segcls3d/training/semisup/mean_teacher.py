"""Mean Teacher + FixMatch pseudo labels on nnU-Net (the semi-supervision Hooper et al. cite as [32]).

Every batch holds labeled patches (nnU-Net's loss and augmentation) and unlabeled patches (cases
whose mask is all ``ignore``, see :mod:`segcls3d.training.unannotated`). For an unlabeled patch the
EMA teacher sees the weak (geometric) view and the student the strong view (weak + intensity
augmentation, same geometry). Loss::

    supervised(labeled) + w(t) * (pseudo_label_weight * CE(student, argmax teacher)[confidence >= threshold]
                                 + consistency_weight * MSE(softmax student, softmax teacher))

with w(t) a sigmoid ramp-up over the first ``rampup_fraction`` of the epochs. The unsupervised
terms use the full-resolution output. The student is the exported network; the teacher is saved
as ``checkpoint_*_ema_teacher.pth``.
"""
from __future__ import annotations

from copy import deepcopy
from functools import partial

import numpy as np
import torch
from nnunetv2.training.dataloading.data_loader import nnUNetDataLoader

from segcls3d.model.heads import unwrap
from segcls3d.training.dataloaders import build_augmenters
from segcls3d.training.segcls import nnUNetTrainerSegCls
from segcls3d.training.semisup.companion_checkpoint import CompanionCheckpointMixin
from segcls3d.training.semisup.ema import update_ema
from segcls3d.training.semisup.losses import confident_pseudo_label_loss, rampup_weight, softmax_consistency
from segcls3d.training.semisup.requirements import require_label_training
from segcls3d.training.semisup.weak_strong_loader import WeakStrongDataLoader
from segcls3d.training.steps import autocast_for, backward_and_step, highest_resolution, select_samples, to_device


class nnUNetTrainerMeanTeacher(CompanionCheckpointMixin, nnUNetTrainerSegCls):
    """EMA teacher on weak views supervises the student on strong views of unlabeled (all-ignore) cases."""

    companion_name = "ema_teacher"
    ema_decay: float = 0.99
    confidence_threshold: float = 0.95
    pseudo_label_weight: float = 1.0
    consistency_weight: float = 1.0
    rampup_fraction: float = 0.1
    unlabeled_fraction: float = 0.5

    def _do_i_compile(self):
        return False  # the teacher is a deep copy of the eager network

    def initialize(self):
        require_label_training(self, type(self).__name__)
        super().initialize()
        self.ema_teacher = deepcopy(unwrap(self.network)).eval()
        self.ema_teacher.requires_grad_(False)
        self.ema_teacher.decoder.deep_supervision = False
        self.ema_step = 0
        self._unsup_log: list[tuple[float, float]] = []

    def get_dataloaders(self):
        loader = partial(WeakStrongDataLoader, unlabeled_fraction=self.unlabeled_fraction)
        return build_augmenters(self, loader, val_loader_class=nnUNetDataLoader)

    def train_step(self, batch: dict) -> dict:
        n_labeled = int(batch["n_labeled"])
        data = batch["data"].to(self.device, non_blocking=True)
        weak = batch["data_weak"].to(self.device, non_blocking=True)
        target = to_device(batch["target"], self.device)
        labeled = slice(0, n_labeled)
        self.optimizer.zero_grad(set_to_none=True)
        with autocast_for(self.device):
            output = self.network(data)
            supervised = self.loss(select_samples(output, labeled), select_samples(target, labeled))
            with torch.no_grad():
                teacher_probs = torch.softmax(self.ema_teacher(weak).float(), 1)
            student = highest_resolution(output)[n_labeled:]
            pseudo, confident = confident_pseudo_label_loss(student, teacher_probs, self.confidence_threshold)
            consistency = softmax_consistency(student, teacher_probs)
            weight = rampup_weight(self.current_epoch, self.num_epochs, self.rampup_fraction)
            unsupervised = self.pseudo_label_weight * pseudo + self.consistency_weight * consistency
            loss = supervised + weight * unsupervised
        backward_and_step(self, loss)
        update_ema(self.ema_teacher, unwrap(self.network), self.ema_decay, self.ema_step)
        self.ema_step += 1
        self._unsup_log.append((float(unsupervised.detach()), float(confident)))
        return {"loss": loss.detach().cpu().numpy()}

    def on_train_epoch_end(self, train_outputs):
        super().on_train_epoch_end(train_outputs)
        if self._unsup_log:
            unsup, confident = np.mean(self._unsup_log, axis=0)
            weight = rampup_weight(self.current_epoch, self.num_epochs, self.rampup_fraction)
            self.print_to_log_file(f"mean teacher: unsupervised loss {unsup:.4f}, confident voxels {confident:.3f}, "
                                   f"weight {weight:.3f}")
        self._unsup_log = []

    def companion_state(self) -> dict:
        return {"network_weights": self.ema_teacher.state_dict(), "ema_step": self.ema_step}

    def load_companion_state(self, state: dict) -> None:
        self.ema_teacher.load_state_dict(state["network_weights"])
        self.ema_step = int(state.get("ema_step", 0))
