"""Offline dataset writers for training with more images than masks: partial supervision, pseudo labels.

* :func:`write_partial_dataset` (``segcls3d pseudolabel partial``): negatives without a mask ->
  all-background masks; positives/unknown -> excluded or nnU-Net's ignore label everywhere.
* :func:`write_pseudolabel_dataset` (``segcls3d pseudolabel plain|boosted|soft``): teacher masks
  (Hooper et al. 2023, Setting 1), boosted by class labels (Setting 2), or soft targets (CheXseg).
* :mod:`.label_subset`: class-stratified labelled subsets registered as nnU-Net folds.

The online semi-supervised trainers that train on these datasets (``nnUNetTrainerMeanTeacher``,
``nnUNetTrainerCrossTeach``, ``nnUNetTrainerSoftTargets``) and their loaders and losses live in
:mod:`segcls3d.training.semisup`. Unlabeled cases enter nnU-Net as images whose mask is all
``ignore`` (see :mod:`segcls3d.training.unannotated`).
"""
from segcls3d.pseudolabels.boosted import BoostDecision, boost_pseudo_mask
from segcls3d.pseudolabels.partial import partial_action, write_partial_dataset
from segcls3d.pseudolabels.pseudolabel import MODES, write_pseudolabel_dataset
from segcls3d.pseudolabels.records import CaseRecord

__all__ = ["BoostDecision", "CaseRecord", "MODES", "boost_pseudo_mask", "partial_action", "write_partial_dataset",
           "write_pseudolabel_dataset"]
