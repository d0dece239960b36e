"""nnUNetTrainerCls and its schedules (defined in segcls3d; found via nnUNet_extTrainer)."""
from segcls3d.training.cls import nnUNetTrainerCls
from segcls3d.training.variants import nnUNetTrainerCls_5epochs, nnUNetTrainerCls_demo, nnUNetTrainerCls_exp

__all__ = ["nnUNetTrainerCls", "nnUNetTrainerCls_5epochs", "nnUNetTrainerCls_demo", "nnUNetTrainerCls_exp"]
