"""nnUNetTrainerCls (classification baseline) and its smoke-run variants, defined in segcls3d."""
from segcls3d.training.trainers import nnUNetTrainerCls
from segcls3d.training.variants import nnUNetTrainerCls_1epoch, nnUNetTrainerCls_5epochs

__all__ = ["nnUNetTrainerCls", "nnUNetTrainerCls_1epoch", "nnUNetTrainerCls_5epochs"]
