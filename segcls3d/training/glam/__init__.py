"""nnUNetTrainerGLAM: GLAM's three training stages in one nnU-Net run."""
from segcls3d.training.glam.stages import StageSchedule, StagewisePolyLR
from segcls3d.training.glam.trainer import nnUNetTrainerGLAM

__all__ = ["StageSchedule", "StagewisePolyLR", "nnUNetTrainerGLAM"]
