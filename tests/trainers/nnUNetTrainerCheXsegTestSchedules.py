"""Test-only schedule of nnUNetTrainerCheXseg (``_smoke``: 2 x 10 iterations); see nnUNetTrainerTestSchedules."""
from segcls3d.training.chexseg.trainer import nnUNetTrainerCheXseg
from segcls3d.training.schedule import ScheduleMixin
from segcls3d.training.schedules import SMOKE


class nnUNetTrainerCheXseg_smoke(ScheduleMixin, nnUNetTrainerCheXseg):
    schedule = SMOKE
