"""Test-only schedules of our trainers (``_smoke``: 2 x 10 iterations, learns next to nothing).

tests/conftest.py adds this folder to ``nnUNet_extTrainer`` next to the product's ``trainers/``;
nnU-Net imports modules there under their bare names, hence the unique module name.
"""
from segcls3d.training.cls import nnUNetTrainerCls
from segcls3d.training.multitask import nnUNetTrainerMultitask
from segcls3d.training.schedule import ScheduleMixin
from segcls3d.training.schedules import SMOKE
from segcls3d.training.segcls import nnUNetTrainerSegCls
from segcls3d.training.semisup.cross_teach import nnUNetTrainerCrossTeach
from segcls3d.training.semisup.mean_teacher import nnUNetTrainerMeanTeacher
from segcls3d.training.semisup.soft_targets import nnUNetTrainerSoftTargets


class nnUNetTrainerSegCls_smoke(ScheduleMixin, nnUNetTrainerSegCls):
    schedule = SMOKE


class nnUNetTrainerCls_smoke(ScheduleMixin, nnUNetTrainerCls):
    schedule = SMOKE


class nnUNetTrainerMultitask_smoke(ScheduleMixin, nnUNetTrainerMultitask):
    schedule = SMOKE


class nnUNetTrainerMeanTeacher_smoke(ScheduleMixin, nnUNetTrainerMeanTeacher):
    schedule = SMOKE


class nnUNetTrainerCrossTeach_smoke(ScheduleMixin, nnUNetTrainerCrossTeach):
    """With the smallest SwinUNETR (feature size 12), for CPU tests."""

    transformer_feature_size = 12
    schedule = SMOKE


class nnUNetTrainerSoftTargets_smoke(ScheduleMixin, nnUNetTrainerSoftTargets):
    schedule = SMOKE
