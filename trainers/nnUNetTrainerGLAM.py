"""nnU-Net finds these trainers here (nnUNet_extTrainer); they are defined in segcls3d.training.glam."""
from segcls3d.training.glam.trainer import nnUNetTrainerGLAM
from segcls3d.training.glam.variants import nnUNetTrainerGLAM_5epochs, nnUNetTrainerGLAM_demo, nnUNetTrainerGLAM_exp

__all__ = ["nnUNetTrainerGLAM", "nnUNetTrainerGLAM_5epochs", "nnUNetTrainerGLAM_demo", "nnUNetTrainerGLAM_exp"]
