"""DINO (Caron et al. 2021) on the plan's encoder, from lightly's pieces.

The student (encoder + ``DINOProjectionHead``) sees every view; the teacher, an exponential moving
average of the student (``lightly.models.utils.update_momentum``), sees the global views only.
``lightly.loss.DINOLoss`` centers and sharpens the teacher's output and takes the cross-entropy to
the student's over all pairs of different views. The teacher's encoder is the one exported.
"""
from __future__ import annotations

import copy
from typing import Sequence

import torch
from lightly.loss import DINOLoss
from lightly.models.modules import DINOProjectionHead
from lightly.models.utils import deactivate_requires_grad, update_momentum
from lightly.utils.scheduler import cosine_schedule, linear_warmup_schedule
from torch import nn

from segcls3d.training.pretrain.embedding import EncoderEmbedding, embed_views
from segcls3d.training.pretrain.settings import PretrainSettings


def teacher_momentum(step: int, total_steps: int, settings: PretrainSettings) -> float:
    """Cosine schedule of the teacher's momentum from ``momentum[0]`` (0.996) to ``momentum[1]`` (1).

    Example:
        >>> s = PretrainSettings(method="dino", epochs=1, iterations=11)
        >>> [round(teacher_momentum(k, 11, s), 4) for k in (0, 5, 10)]
        [0.996, 0.998, 1.0]
    """
    start, end = settings.momentum
    return cosine_schedule(step, total_steps, start, end)


def teacher_temperature(step: int, total_steps: int, settings: PretrainSettings) -> float:
    """Teacher temperature warmed up linearly from 0.04 to 0.07 over ``teacher_temperature_warmup`` of the steps.

    Example:
        >>> s = PretrainSettings(method="dino", epochs=1, iterations=10)
        >>> [round(teacher_temperature(k, 10, s), 3) for k in (0, 1, 3, 9)]
        [0.04, 0.05, 0.07, 0.07]
    """
    start, end = settings.teacher_temperature
    return linear_warmup_schedule(step, int(settings.teacher_temperature_warmup * total_steps), start, end)


class DINO(nn.Module):
    """Student and EMA teacher (encoder + projection head each) with lightly's DINO loss."""

    def __init__(self, encoder: nn.Module, settings: PretrainSettings):
        super().__init__()
        self.settings = settings
        self.student_backbone = EncoderEmbedding(encoder)
        self.student_head = self._head(freeze_last_layer=settings.freeze_last_layer_epochs)
        self.teacher_backbone = copy.deepcopy(self.student_backbone)
        self.teacher_head = self._head()  # the head's weight norm cannot be deep-copied: a twin with its weights
        self.teacher_head.load_state_dict(self.student_head.state_dict())
        deactivate_requires_grad(self.teacher_backbone)
        deactivate_requires_grad(self.teacher_head)
        self.criterion = DINOLoss(output_dim=settings.out_dim, student_temp=settings.student_temperature,
                                  center_momentum=settings.center_momentum)

    def _head(self, freeze_last_layer: int = -1) -> DINOProjectionHead:
        s = self.settings
        return DINOProjectionHead(self.student_backbone.dim, s.hidden_dim, s.bottleneck_dim, s.out_dim,
                                  freeze_last_layer=freeze_last_layer)

    def forward(self, views: Sequence[torch.Tensor], step: int, total_steps: int) -> torch.Tensor:
        """The DINO loss of one batch of views (the first ``global_views`` are the global ones)."""
        n_global = self.settings.global_views
        with torch.no_grad():
            teacher_out = embed_views(lambda x: self.teacher_head(self.teacher_backbone(x)), views[:n_global])
        student_out = embed_views(lambda x: self.student_head(self.student_backbone(x)), views)
        return self.criterion([t.float() for t in teacher_out], [s.float() for s in student_out],
                              teacher_temp=teacher_temperature(step, total_steps, self.settings))

    def after_backward(self, epoch: int) -> None:
        """DINO keeps the head's last layer fixed during the first epoch(s)."""
        self.student_head.cancel_last_layer_gradients(epoch)

    @torch.no_grad()
    def after_step(self, step: int, total_steps: int) -> float:
        """Move the teacher towards the student (``update_momentum`` with the scheduled momentum); return it."""
        m = teacher_momentum(step, total_steps, self.settings)
        update_momentum(self.student_backbone, self.teacher_backbone, m)
        update_momentum(self.student_head, self.teacher_head, m)
        return m

    def exported_encoder(self) -> nn.Module:
        """The teacher's encoder (DINO evaluates and transfers the teacher)."""
        return self.teacher_backbone.encoder
