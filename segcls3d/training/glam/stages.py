"""GLAM's training stages as epochs of one nnU-Net run: global, then local, then joint (Liu et al., Sec. 3.3).

The stage follows from the epoch, so ``nnUNetv2_train --c`` resumes inside whichever stage the
checkpoint was saved in. Each stage gets its own poly learning-rate decay, as if it were trained on
its own (the paper trains the modules one after the other).

Example:
    >>> s = StageSchedule.from_fractions(10, (0.5, 0.3, 0.2))
    >>> s.epochs, s.stage_at(4), s.stage_at(5), s.start("joint")
    ((5, 3, 2), 'global', 'local', 8)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from nnunetv2.training.lr_scheduler.polylr import PolyLRScheduler

from segcls3d.model.glam import STAGES


@dataclass(frozen=True)
class StageSchedule:
    """Epochs per stage (global, local, joint); a stage with 0 epochs is skipped."""

    epochs: tuple[int, int, int]

    @staticmethod
    def from_fractions(num_epochs: int, fractions: Sequence[float]) -> "StageSchedule":
        """Split ``num_epochs`` by ``fractions`` (rounding remainder to the first stage); every stage with a
        positive fraction gets at least one epoch while there are enough epochs (earlier stages first).

        >>> [StageSchedule.from_fractions(n, (0.5, 0.3, 0.2)).epochs for n in (2, 3, 5, 20)]
        [(1, 1, 0), (1, 1, 1), (3, 1, 1), (10, 6, 4)]
        """
        if len(fractions) != len(STAGES) or min(fractions) < 0 or sum(fractions) <= 0:
            raise ValueError(f"stage fractions must be {len(STAGES)} non-negative numbers, got {tuple(fractions)}")
        wanted = [f > 0 for f in fractions]
        counts = [int(v) for v in np.floor(np.asarray(fractions) / sum(fractions) * num_epochs)]
        for i in range(len(counts)):  # the minimum of one epoch, in stage order
            if wanted[i] and counts[i] == 0 and sum(counts) < num_epochs:
                counts[i] = 1
        while sum(counts) > num_epochs:  # take back from the longest stage
            counts[int(np.argmax(counts))] -= 1
        first = wanted.index(True)
        counts[first] += num_epochs - sum(counts)  # rounding remainder: the first stage
        return StageSchedule(tuple(counts))

    def start(self, stage: str) -> int:
        return int(sum(self.epochs[: STAGES.index(stage)]))

    def end(self, stage: str) -> int:
        return self.start(stage) + self.epochs[STAGES.index(stage)]

    def stage_at(self, epoch: int) -> str:
        """The stage trained in ``epoch`` (epochs past the end belong to the last stage)."""
        for stage in STAGES:
            if epoch < self.end(stage):
                return stage
        return [s for s, n in zip(STAGES, self.epochs) if n > 0][-1]

    def is_last_epoch_of_stage(self, epoch: int) -> bool:
        return epoch + 1 == self.end(self.stage_at(epoch))


class StagewisePolyLR(PolyLRScheduler):
    """nnU-Net's poly decay restarted at each stage: ``lr = initial * (1 - e / E_stage) ** 0.9``."""

    def __init__(self, optimizer, initial_lr: float, schedule: StageSchedule, exponent: float = 0.9):
        self.schedule = schedule
        super().__init__(optimizer, initial_lr, max(schedule.epochs), exponent)

    def step(self, current_step=None):
        if current_step is None or current_step == -1:
            current_step = self.ctr
            self.ctr += 1
        stage = self.schedule.stage_at(current_step)
        start, length = self.schedule.start(stage), max(1, self.schedule.epochs[STAGES.index(stage)])
        progress = min(current_step - start, length - 1) / length
        new_lr = self.initial_lr * (1 - progress) ** self.exponent
        for group in self.optimizer.param_groups:
            group["lr"] = new_lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]
