"""Y-Net style multitask training: nnU-Net's U-Net plus a classification head on the bottleneck."""
from __future__ import annotations

from typing import List

import numpy as np
import torch

from segcls3d.model.heads import attach_multitask_head, class_names_from_configuration, get_head
from segcls3d.training.labels_mixin import CLASSES_KEY
from segcls3d.training.losses import SegPlusClassificationLoss
from segcls3d.training.patch_auroc_mixin import auroc_or_nan
from segcls3d.training.patch_labels import patch_class_labels


def build_multitask_network(plans_manager, configuration_manager, num_input_channels: int,
                            num_output_channels: int, enable_deep_supervision: bool = True):
    """The plan's network with a GAP + linear head on the encoder's deepest stage."""
    from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

    network = nnUNetTrainer.build_network_architecture(
        plans_manager, configuration_manager, num_input_channels, num_output_channels, enable_deep_supervision)
    return attach_multitask_head(network, len(class_names_from_configuration(configuration_manager.configuration, CLASSES_KEY)))


class MultitaskMixin:
    """loss = segmentation loss + ``cls_loss_weight`` * BCE(head, patch labels); unknown labels add nothing.

    Cases with an image-level label but no mask (all ``ignore``, see ``segcls3d pseudolabel partial``)
    still train the head with their case label.
    """

    cls_loss_weight: float = 1.0
    extra_logging_keys = ("val_auroc", "val_auroc_per_class", "val_head_auroc", "val_head_auroc_per_class")

    def _do_i_compile(self):
        return False  # the head's forward hook keeps state; keep eager mode

    def _build_loss(self):
        return SegPlusClassificationLoss(super()._build_loss(), self._head_logits, self.cls_loss_weight)

    def _head_logits(self):
        return get_head(self.network).last_logits

    def _set_cls_targets(self, batch: dict) -> torch.Tensor:
        target = batch["target"][0] if isinstance(batch["target"], list) else batch["target"]
        labels = patch_class_labels(
            target.clone(), self.batch_case_labels(batch["keys"]), self.class_names, self.channel_groups,
            self.label_manager.has_regions, self.label_manager.ignore_label, case_label_if_unannotated=True)
        self.loss.cls_targets = labels.to(self.device)
        return labels

    def train_step(self, batch: dict) -> dict:
        self._set_cls_targets(batch)
        return super().train_step(batch)

    def validation_step(self, batch: dict) -> dict:
        labels = self._set_cls_targets(batch)
        result = super().validation_step(batch)
        result["head_probs"] = torch.sigmoid(self._head_logits().float()).cpu().numpy()
        result["head_labels"] = labels.numpy()
        return result

    def on_validation_epoch_end(self, val_outputs: List[dict]):
        probs = np.concatenate([o.pop("head_probs") for o in val_outputs])
        labels = np.concatenate([o.pop("head_labels") for o in val_outputs])
        super().on_validation_epoch_end(val_outputs)
        per_class = [auroc_or_nan(labels[:, j], probs[:, j]) for j in range(labels.shape[1])]
        known = [v for v in per_class if not np.isnan(v)]
        self.logger.log("val_head_auroc", float(np.mean(known)) if known else float("nan"), self.current_epoch)
        self.logger.log("val_head_auroc_per_class", per_class, self.current_epoch)
        self.print_to_log_file("Head AUROC (validation patches)", [np.round(v, 4) for v in per_class])

    def add_validation_columns(self, rows: list[dict]) -> None:
        """Run the head over each full validation case (sliding window, as at inference)."""
        from segcls3d.model.head_predictor import HeadRecordingPredictor

        self.set_deep_supervision_enabled(False)
        predictor = HeadRecordingPredictor(tile_step_size=0.5, use_gaussian=True, use_mirroring=True,
                                           perform_everything_on_device=True, device=self.device, allow_tqdm=False)
        predictor.manual_initialization(self.network, self.plans_manager, self.configuration_manager, None,
                                        self.dataset_json, self.__class__.__name__,
                                        self.inference_allowed_mirroring_axes)
        keys = [r["case_id"] for r in rows]
        dataset = self.dataset_class(self.preprocessed_dataset_folder, keys,
                                     folder_with_segs_from_previous_stage=self.folder_with_segs_from_previous_stage)
        for row in rows:
            data, _, seg_prev, _ = dataset.load_case(row["case_id"])
            data = np.asarray(data[:])
            if seg_prev is not None:
                from nnunetv2.utilities.label_handling.label_handling import convert_labelmap_to_one_hot

                data = np.vstack((data, convert_labelmap_to_one_hot(
                    np.asarray(seg_prev[:]), self.label_manager.foreground_labels, output_dtype=data.dtype)))
            predictor.predict_sliding_window_return_logits(torch.from_numpy(data))
            probs = predictor.pop_head_probabilities()
            for name, p in zip(self.class_names, probs):
                row[f"{name}_head_probability"] = float(p)
                row[f"{name}_head_label"] = int(p >= 0.5)
        self.set_deep_supervision_enabled(True)
