"""nnUNetTrainerSegCls and its smoke-run variants (defined in segcls3d; found via nnUNet_extTrainer)."""
from segcls3d.training.trainers import nnUNetTrainerSegCls
from segcls3d.training.variants import nnUNetTrainerSegCls_1epoch, nnUNetTrainerSegCls_5epochs

__all__ = ["nnUNetTrainerSegCls", "nnUNetTrainerSegCls_1epoch", "nnUNetTrainerSegCls_5epochs"]
