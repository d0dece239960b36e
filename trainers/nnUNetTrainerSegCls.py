"""nnU-Net finds these trainers here (nnUNet_extTrainer); they are defined in segcls3d.training."""
from segcls3d.training.segcls import nnUNetTrainerSegCls
from segcls3d.training.uniform_sampling import nnUNetTrainerSegClsUniformSampling
from segcls3d.training.variants import nnUNetTrainerSegCls_5epochs, nnUNetTrainerSegCls_demo, nnUNetTrainerSegCls_exp

__all__ = ["nnUNetTrainerSegCls", "nnUNetTrainerSegClsUniformSampling", "nnUNetTrainerSegCls_5epochs",
           "nnUNetTrainerSegCls_demo", "nnUNetTrainerSegCls_exp"]
