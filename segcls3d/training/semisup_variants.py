"""Short-schedule variants of the semi-supervised trainers (nnU-Net's ``_Nepochs`` naming)."""
from __future__ import annotations

from segcls3d.training.schedule import FIVE_EPOCHS, ONE_EPOCH, SMOKE, ScheduleMixin
from segcls3d.training.semisup_trainers import (nnUNetTrainerCrossTeach, nnUNetTrainerMeanTeacher,
                                                nnUNetTrainerSoftTargets)


class nnUNetTrainerMeanTeacher_1epoch(ScheduleMixin, nnUNetTrainerMeanTeacher):
    schedule = ONE_EPOCH


class nnUNetTrainerMeanTeacher_5epochs(ScheduleMixin, nnUNetTrainerMeanTeacher):
    schedule = FIVE_EPOCHS


class nnUNetTrainerMeanTeacher_smoke(ScheduleMixin, nnUNetTrainerMeanTeacher):
    """2 epochs x 10 iterations: exercises the whole pipeline (tests), learns next to nothing."""

    schedule = SMOKE


class nnUNetTrainerCrossTeach_1epoch(ScheduleMixin, nnUNetTrainerCrossTeach):
    schedule = ONE_EPOCH


class nnUNetTrainerCrossTeach_5epochs(ScheduleMixin, nnUNetTrainerCrossTeach):
    schedule = FIVE_EPOCHS


class nnUNetTrainerCrossTeach_smoke(ScheduleMixin, nnUNetTrainerCrossTeach):
    """2 epochs x 10 iterations with the smallest SwinUNETR (feature size 12), for CPU tests."""

    transformer_feature_size = 12
    schedule = SMOKE


class nnUNetTrainerSoftTargets_1epoch(ScheduleMixin, nnUNetTrainerSoftTargets):
    schedule = ONE_EPOCH


class nnUNetTrainerSoftTargets_5epochs(ScheduleMixin, nnUNetTrainerSoftTargets):
    schedule = FIVE_EPOCHS


class nnUNetTrainerSoftTargets_smoke(ScheduleMixin, nnUNetTrainerSoftTargets):
    """2 epochs x 10 iterations: exercises the whole pipeline (tests), learns next to nothing."""

    schedule = SMOKE
