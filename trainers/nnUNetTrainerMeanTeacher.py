"""nnUNetTrainerMeanTeacher and its short-schedule variants (defined in segcls3d; found via nnUNet_extTrainer)."""
from segcls3d.training.semisup_trainers import nnUNetTrainerMeanTeacher
from segcls3d.training.semisup_variants import (
    nnUNetTrainerMeanTeacher_1epoch,
    nnUNetTrainerMeanTeacher_5epochs,
    nnUNetTrainerMeanTeacher_smoke,
)

__all__ = [
    "nnUNetTrainerMeanTeacher",
    "nnUNetTrainerMeanTeacher_1epoch",
    "nnUNetTrainerMeanTeacher_5epochs",
    "nnUNetTrainerMeanTeacher_smoke",
]
