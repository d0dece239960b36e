"""The experiment suite's ``_exp`` schedule of our trainers (defined in segcls3d; found via nnUNet_extTrainer)."""
from segcls3d.training.experiment_variants import (
    nnUNetTrainerCls_exp,
    nnUNetTrainerMultitask_exp,
    nnUNetTrainerSegCls_exp,
)

__all__ = ["nnUNetTrainerCls_exp", "nnUNetTrainerMultitask_exp", "nnUNetTrainerSegCls_exp"]
