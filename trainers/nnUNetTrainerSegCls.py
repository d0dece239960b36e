"""nnUNetTrainerSegCls and its schedules (defined in segcls3d; found via nnUNet_extTrainer)."""
from segcls3d.training.segcls import nnUNetTrainerSegCls
from segcls3d.training.variants import nnUNetTrainerSegCls_5epochs, nnUNetTrainerSegCls_demo, nnUNetTrainerSegCls_exp

__all__ = ["nnUNetTrainerSegCls", "nnUNetTrainerSegCls_5epochs", "nnUNetTrainerSegCls_demo", "nnUNetTrainerSegCls_exp"]
