"""nnUNetTrainerCrossTeach and its short-schedule variants (defined in segcls3d; found via nnUNet_extTrainer)."""
from segcls3d.training.semisup_trainers import nnUNetTrainerCrossTeach
from segcls3d.training.semisup_variants import (
    nnUNetTrainerCrossTeach_1epoch,
    nnUNetTrainerCrossTeach_5epochs,
    nnUNetTrainerCrossTeach_smoke,
)

__all__ = [
    "nnUNetTrainerCrossTeach",
    "nnUNetTrainerCrossTeach_1epoch",
    "nnUNetTrainerCrossTeach_5epochs",
    "nnUNetTrainerCrossTeach_smoke",
]
