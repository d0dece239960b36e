"""nnUNetTrainerSoftTargets and its short-schedule variants (defined in segcls3d; found via nnUNet_extTrainer)."""
from segcls3d.training.semisup_trainers import nnUNetTrainerSoftTargets
from segcls3d.training.semisup_variants import (
    nnUNetTrainerSoftTargets_1epoch,
    nnUNetTrainerSoftTargets_5epochs,
    nnUNetTrainerSoftTargets_smoke,
)

__all__ = [
    "nnUNetTrainerSoftTargets",
    "nnUNetTrainerSoftTargets_1epoch",
    "nnUNetTrainerSoftTargets_5epochs",
    "nnUNetTrainerSoftTargets_smoke",
]
