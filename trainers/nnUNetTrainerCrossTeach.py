"""nnUNetTrainerCrossTeach (defined in segcls3d; found via nnUNet_extTrainer)."""
from segcls3d.training.semisup.cross_teach import nnUNetTrainerCrossTeach

__all__ = ["nnUNetTrainerCrossTeach"]
