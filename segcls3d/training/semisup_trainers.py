"""Semi-supervised trainer classes (``-tr``); each body names its one idea. See the mixins' docstrings.

All three are segmentation-for-classification trainers (nnUNetTrainerSegCls: image-level labels,
validation AUROC of the rule-based g) and export one plain nnU-Net network, so stock
``nnUNetv2_predict`` and ``segcls3d predict`` work on their models.
"""
from __future__ import annotations

from segcls3d.training.cross_teach_mixin import CrossTeachMixin
from segcls3d.training.mean_teacher_mixin import MeanTeacherMixin
from segcls3d.training.soft_target_mixin import SoftTargetMixin
from segcls3d.training.trainers import nnUNetTrainerSegCls


class nnUNetTrainerMeanTeacher(MeanTeacherMixin, nnUNetTrainerSegCls):
    """EMA teacher on weak views supervises the student on strong views of unlabeled (all-ignore) cases."""


class nnUNetTrainerCrossTeach(CrossTeachMixin, nnUNetTrainerSegCls):
    """nnU-Net's CNN and a SwinUNETR teach each other on unlabeled (all-ignore) cases; the CNN is exported."""


class nnUNetTrainerSoftTargets(SoftTargetMixin, nnUNetTrainerSegCls):
    """Learns pseudo-labelled cases from the teacher's tempered probabilities (segcls3d pseudolabel soft)."""
