"""Test-only schedules for fine-tuning from pretrained weights (see nnUNetTrainerTestSchedules).

``_frozenSmoke``: the whole ``nnUNetv2_train`` pipeline (1 epoch x 2 iterations) at learning rate 0, so the
saved ``checkpoint_final.pth`` holds exactly the weights training started from (``-pretrained_weights``).
"""
from segcls3d.training.cls import nnUNetTrainerCls
from segcls3d.training.schedule import ScheduleMixin
from segcls3d.training.segcls import nnUNetTrainerSegCls


class nnUNetTrainerSegCls_frozenSmoke(ScheduleMixin, nnUNetTrainerSegCls):
    schedule = (1, 2, 1)
    learning_rate = 0.0
    final_validation_needs_npz = True


class nnUNetTrainerCls_frozenSmoke(ScheduleMixin, nnUNetTrainerCls):
    schedule = (1, 2, 1)
    learning_rate = 0.0
    final_validation_needs_npz = True
