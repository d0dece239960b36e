"""nnUNetTrainerMeanTeacher (defined in segcls3d; found via nnUNet_extTrainer)."""
from segcls3d.training.semisup.mean_teacher import nnUNetTrainerMeanTeacher

__all__ = ["nnUNetTrainerMeanTeacher"]
