"""nnUNetTrainerSoftTargets (defined in segcls3d; found via nnUNet_extTrainer)."""
from segcls3d.training.semisup.soft_targets import nnUNetTrainerSoftTargets

__all__ = ["nnUNetTrainerSoftTargets"]
