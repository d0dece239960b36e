"""Run the nnU-Net steps (plan/preprocess, train) from Python, as a user would from the shell."""
from segcls3d.pipeline.nnunet_steps import (
    NnUNetPaths,
    model_folder,
    plan_and_preprocess,
    train,
)

__all__ = ["NnUNetPaths", "model_folder", "plan_and_preprocess", "train"]
