"""Test-only schedules of nnUNetTrainerGLAM (``_smoke``: one epoch per stage, 3 x 10 iterations).

Found through ``nnUNet_extTrainer`` (tests/conftest.py), under this unique module name.
"""
from segcls3d.training.glam.trainer import nnUNetTrainerGLAM
from segcls3d.training.schedule import ScheduleMixin


class nnUNetTrainerGLAM_smoke(ScheduleMixin, nnUNetTrainerGLAM):
    schedule = (3, 10, 2)
