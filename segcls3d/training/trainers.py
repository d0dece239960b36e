"""The trainer classes users select with ``nnUNetv2_train ... -tr <name>`` (re-exported in trainers/).

All three share the plans, the dataloading and the augmentation of nnU-Net; each class body shows
its one idea. ``_1epoch`` / ``_5epochs`` variants exist for smoke runs.
"""
from __future__ import annotations

import torch
from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

from segcls3d.training.case_validation_mixin import CaseValidationMixin
from segcls3d.training.classifier_mixin import ClassifierMixin, build_classifier
from segcls3d.training.labels_mixin import CaseLabelsMixin, store_classes
from segcls3d.training.multitask_mixin import MultitaskMixin, build_multitask_network
from segcls3d.training.patch_auroc_mixin import PatchAUROCMixin


class _SegClsBase(CaseLabelsMixin, nnUNetTrainer):
    """Records the class names in the plans and loads image-level labels; nothing else changes."""

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict,
                 device: torch.device = torch.device("cuda")):
        super().__init__(store_classes(plans, configuration, dataset_json), configuration, fold, dataset_json, device)
        from segcls3d.summarize import RuleBasedSummarizer

        self.summarizer = RuleBasedSummarizer()
        self._segcls_setup(dataset_json)

    def on_train_start(self):
        """Validate the image-level labels before nnU-Net starts its data loaders."""
        from segcls3d.errors import SegCls3dError

        if not self.was_initialized:
            self.initialize()
        try:
            self.load_case_labels()
        except SegCls3dError as exc:  # a user error: one clear line from nnUNetv2_train, no traceback
            raise SystemExit(f"segcls3d: {exc}") from None
        super().on_train_start()


class nnUNetTrainerSegCls(CaseValidationMixin, PatchAUROCMixin, _SegClsBase):
    """nnU-Net segmentation training; validation also reports image-level AUROC of the rule-based g."""


class nnUNetTrainerCls(ClassifierMixin, CaseValidationMixin, _SegClsBase):
    """Classification baseline: the plan's encoder + global pooling + linear head, whole images."""

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict,
                 device: torch.device = torch.device("cuda")):
        super().__init__(plans, configuration, fold, dataset_json, device)
        self.enable_deep_supervision = False
        self.oversample_foreground_percent = 0.0

    @staticmethod
    def build_network_architecture(plans_manager, configuration_manager, num_input_channels: int,
                                   num_output_channels: int, enable_deep_supervision: bool = True):
        return build_classifier(plans_manager, configuration_manager, num_input_channels)


class nnUNetTrainerMultitask(MultitaskMixin, CaseValidationMixin, PatchAUROCMixin, _SegClsBase):
    """Y-Net: segmentation decoder + classification head on the bottleneck, loss = seg + lambda * cls."""

    @staticmethod
    def build_network_architecture(plans_manager, configuration_manager, num_input_channels: int,
                                   num_output_channels: int, enable_deep_supervision: bool = True):
        return build_multitask_network(plans_manager, configuration_manager, num_input_channels,
                                       num_output_channels, enable_deep_supervision)

