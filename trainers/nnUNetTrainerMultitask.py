"""nnUNetTrainerMultitask (Y-Net) and its smoke-run variants, defined in segcls3d."""
from segcls3d.training.trainers import nnUNetTrainerMultitask
from segcls3d.training.variants import nnUNetTrainerMultitask_1epoch, nnUNetTrainerMultitask_5epochs

__all__ = ["nnUNetTrainerMultitask", "nnUNetTrainerMultitask_1epoch", "nnUNetTrainerMultitask_5epochs"]
