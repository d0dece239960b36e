"""nnU-Net finds these trainers here (nnUNet_extTrainer); they are defined in segcls3d.training."""
from segcls3d.training.avg_pool import nnUNetTrainerClsAvgPool
from segcls3d.training.cls import nnUNetTrainerCls
from segcls3d.training.uniform_sampling import nnUNetTrainerClsUniformSampling
from segcls3d.training.variants import nnUNetTrainerCls_5epochs, nnUNetTrainerCls_demo, nnUNetTrainerCls_exp

__all__ = ["nnUNetTrainerCls", "nnUNetTrainerClsAvgPool", "nnUNetTrainerClsUniformSampling", "nnUNetTrainerCls_5epochs",
           "nnUNetTrainerCls_demo", "nnUNetTrainerCls_exp"]
