"""nnUNetTrainerMultitask: Y-Net, nnU-Net's U-Net plus a classification head on the bottleneck.

loss = segmentation loss + ``cls_loss_weight`` * BCE(head, patch labels); unknown labels add
nothing. A patch of a case with no annotated voxel (an image-level label but an all-``ignore``
mask, see ``segcls3d pseudolabel partial``) trains the head with its case label. The head reads
the encoder through a forward hook, so ``forward`` still returns only segmentation logits and stock
``nnUNetv2_predict`` works. Validation also logs ``val_head_auroc`` on the validation patches, and
the final validation adds the head's probability of each full case (sliding window, max over tiles).
"""
from __future__ import annotations

from typing import List

import numpy as np
import torch

from segcls3d.model.builders import build_multitask_network
from segcls3d.model.head_predictor import HeadRecordingPredictor
from segcls3d.model.heads import get_head
from segcls3d.model.losses import masked_bce_with_logits
from segcls3d.summarize import head_columns
from segcls3d.training.case_data import load_network_input
from segcls3d.training.patch_labels import with_case_labels_where_unannotated
from segcls3d.training.patch_scores import per_class_auroc
from segcls3d.training.segcls import nnUNetTrainerSegCls
from segcls3d.training.steps import autocast_for, backward_and_step, to_device


class nnUNetTrainerMultitask(nnUNetTrainerSegCls):
    """Y-Net: segmentation decoder + classification head on the bottleneck, loss = seg + lambda * cls."""

    cls_loss_weight: float = 1.0

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict,
                 device: torch.device = torch.device("cuda")):
        super().__init__(plans, configuration, fold, dataset_json, device)
        self.add_logging_keys("val_head_auroc", "val_head_auroc_per_class")

    @staticmethod
    def build_network_architecture(plans_manager, configuration_manager, num_input_channels: int,
                                   num_output_channels: int, enable_deep_supervision: bool = True):
        return build_multitask_network(configuration_manager, num_input_channels, num_output_channels,
                                       enable_deep_supervision)

    def _do_i_compile(self):
        return False  # the head's forward hook keeps state; keep eager mode

    def head_loss(self, labels: torch.Tensor) -> torch.Tensor:
        """Weighted BCE of the head's output of the last forward pass."""
        return self.cls_loss_weight * masked_bce_with_logits(get_head(self.network).last_logits.float(), labels)

    def train_step(self, batch: dict) -> dict:
        labels = self.patch_labels(batch, case_label_if_unannotated=True).to(self.device)
        data = batch["data"].to(self.device, non_blocking=True)
        target = to_device(batch["target"], self.device)
        self.optimizer.zero_grad(set_to_none=True)
        with autocast_for(self.device):
            output = self.network(data)
            loss = self.loss(output, target) + self.head_loss(labels)
        backward_and_step(self, loss)
        return {"loss": loss.detach().cpu().numpy()}

    def validation_step(self, batch: dict) -> dict:
        result = super().validation_step(batch)
        labels = with_case_labels_where_unannotated(
            torch.from_numpy(result["segcls_labels"]), self.batch_case_labels(batch["keys"]),
            self.unannotated_cases(batch["keys"]), self.class_names, self.channel_groups)
        result["loss"] = result["loss"] + self.head_loss(labels.to(self.device)).detach().cpu().numpy()
        result["head_probs"] = torch.sigmoid(get_head(self.network).last_logits.float()).cpu().numpy()
        result["head_labels"] = labels.numpy()
        return result

    def on_validation_epoch_end(self, val_outputs: List[dict]):
        probs = np.concatenate([o.pop("head_probs") for o in val_outputs])
        labels = np.concatenate([o.pop("head_labels") for o in val_outputs])
        super().on_validation_epoch_end(val_outputs)
        self.log_auroc("val_head_auroc", per_class_auroc(labels, probs), "Head AUROC (validation patches)")

    def validation_rows(self, save_probabilities: bool) -> list[dict]:
        """g's rows of the full validation cases, plus the head's probability (sliding window, as at inference)."""
        rows = super().validation_rows(save_probabilities)
        if not rows:
            return rows
        self.set_deep_supervision_enabled(False)
        predictor = HeadRecordingPredictor(tile_step_size=0.5, use_gaussian=True, use_mirroring=True,
                                           perform_everything_on_device=True, device=self.device, allow_tqdm=False)
        predictor.manual_initialization(self.network, self.plans_manager, self.configuration_manager, None,
                                        self.dataset_json, self.__class__.__name__,
                                        self.inference_allowed_mirroring_axes)
        dataset = self.dataset_class(self.preprocessed_dataset_folder, [r["case_id"] for r in rows],
                                     folder_with_segs_from_previous_stage=self.folder_with_segs_from_previous_stage)
        for row in rows:
            data = load_network_input(dataset, row["case_id"], self.label_manager)
            predictor.predict_sliding_window_return_logits(torch.from_numpy(data))
            for name, p in zip(self.class_names, predictor.pop_head_probabilities()):
                row.update(head_columns(name, p))
        self.set_deep_supervision_enabled(True)
        return rows
