"""Test-only schedule of nnUNetTrainerMultiMix (``_smoke``: 2 x 10 iterations, learns next to nothing).

tests/conftest.py adds this folder to ``nnUNet_extTrainer``; nnU-Net imports modules there under their
bare names, hence the unique module name.
"""
from segcls3d.training.multimix.trainer import nnUNetTrainerMultiMix
from segcls3d.training.schedule import ScheduleMixin
from segcls3d.training.schedules import SMOKE


class nnUNetTrainerMultiMix_smoke(ScheduleMixin, nnUNetTrainerMultiMix):
    schedule = SMOKE
