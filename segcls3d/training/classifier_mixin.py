"""The classification baseline inside nnU-Net: encoder + global pooling + linear, whole images."""
from __future__ import annotations

from pathlib import Path
from typing import List

import numpy as np
import torch
from nnunetv2.utilities.helpers import dummy_context
from torch import autocast, nn

from segcls3d.model.heads import EncoderClassifier, class_names_from_configuration, unwrap
from segcls3d.training.labels_mixin import CLASSES_KEY
from segcls3d.training.losses import masked_bce_with_logits
from segcls3d.training.patch_auroc_mixin import auroc_or_nan


def build_classifier(plans_manager, configuration_manager, num_input_channels: int) -> nn.Module:
    """nnU-Net's network for the plan, reduced to its encoder, with a linear head per class."""
    from nnunetv2.utilities.get_network_from_plans import get_network_from_plans

    unet = get_network_from_plans(
        configuration_manager.network_arch_class_name,
        configuration_manager.network_arch_init_kwargs,
        configuration_manager.network_arch_init_kwargs_req_import,
        num_input_channels, 2, allow_init=True, deep_supervision=False,
    )
    num_classes = len(class_names_from_configuration(configuration_manager.configuration, CLASSES_KEY))
    return EncoderClassifier(unet.encoder, num_classes)


class ClassifierMixin:
    """Overrides the steps that differ for an image-level classifier; everything else is nnU-Net's."""

    extra_logging_keys = ("val_auroc", "val_auroc_per_class")

    def set_deep_supervision_enabled(self, enabled: bool):
        """The classifier has no decoder."""

    def _do_i_compile(self):
        return False

    def _build_loss(self):
        return masked_bce_with_logits

    def get_dataloaders(self):
        from segcls3d.training.dataloaders import build_augmenters
        from segcls3d.training.whole_image_loader import WholeImageDataLoader

        return build_augmenters(self, WholeImageDataLoader)

    def _step(self, batch: dict):
        data = batch["data"].to(self.device, non_blocking=True)
        labels = self.batch_case_labels(batch["keys"]).to(self.device)
        with autocast(self.device.type, enabled=True) if self.device.type == "cuda" else dummy_context():
            logits = self.network(data)
            loss = self.loss(logits.float(), labels)
        return loss, logits, labels

    def train_step(self, batch: dict) -> dict:
        self.optimizer.zero_grad(set_to_none=True)
        loss, _, _ = self._step(batch)
        if self.grad_scaler is not None:
            self.grad_scaler.scale(loss).backward()
            self.grad_scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.network.parameters(), 12)
            self.grad_scaler.step(self.optimizer)
            self.grad_scaler.update()
        else:
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.network.parameters(), 12)
            self.optimizer.step()
        return {"loss": loss.detach().cpu().numpy()}

    def validation_step(self, batch: dict) -> dict:
        loss, logits, labels = self._step(batch)
        return {
            "loss": loss.detach().cpu().numpy(),
            "probs": torch.sigmoid(logits.float()).cpu().numpy(),
            "labels": labels.cpu().numpy(),
        }

    def on_validation_epoch_end(self, val_outputs: List[dict]):
        probs = np.concatenate([o["probs"] for o in val_outputs])
        labels = np.concatenate([o["labels"] for o in val_outputs])
        per_class = [auroc_or_nan(labels[:, j], probs[:, j]) for j in range(labels.shape[1])]
        known = [v for v in per_class if not np.isnan(v)]
        mean = float(np.mean(known)) if known else float("nan")
        # nnU-Net picks checkpoint_best on the EMA of mean_fg_dice: for the classifier that is AUROC
        self.logger.log("mean_fg_dice", mean if known else 0.5, self.current_epoch)
        self.logger.log("dice_per_class_or_region", [0.5 if np.isnan(v) else v for v in per_class], self.current_epoch)
        self.logger.log("val_losses", float(np.mean([o["loss"] for o in val_outputs])), self.current_epoch)
        self.logger.log("val_auroc", mean, self.current_epoch)
        self.logger.log("val_auroc_per_class", per_class, self.current_epoch)
        self.print_to_log_file("Validation AUROC (whole images)", [np.round(v, 4) for v in per_class])

    def perform_actual_validation(self, save_probabilities: bool = False):
        """Classify every validation case (whole image) and report image-level metrics."""
        from segcls3d.model.whole_image import classify_whole_image

        if self.local_rank != 0:
            return
        self.network.eval()
        _, val_keys = self.do_split()
        dataset = self.dataset_class(self.preprocessed_dataset_folder, val_keys,
                                     folder_with_segs_from_previous_stage=self.folder_with_segs_from_previous_stage)
        rows = []
        for key in dataset.identifiers:
            data, _, seg_prev, _ = dataset.load_case(key)
            data = np.asarray(data[:])
            if seg_prev is not None:
                from nnunetv2.utilities.label_handling.label_handling import convert_labelmap_to_one_hot

                data = np.vstack((data, convert_labelmap_to_one_hot(
                    np.asarray(seg_prev[:]), self.label_manager.foreground_labels, output_dtype=data.dtype)))
            probs = classify_whole_image(unwrap(self.network), data, self.configuration_manager.patch_size,
                                         self.device, self.inference_allowed_mirroring_axes, key)
            rows.append(head_row(key, self.class_names, probs))
        folder = Path(self.output_folder) / "validation"
        folder.mkdir(parents=True, exist_ok=True)
        self.report_case_validation(rows, folder)


def head_row(case_id: str, class_names, probs, threshold: float = 0.5) -> dict:
    """classification.csv row for a classifier head's probabilities."""
    row = {"case_id": case_id}
    for name, p in zip(class_names, probs):
        row[f"{name}_head_probability"] = float(p)
        row[f"{name}_head_label"] = int(p >= threshold)
    return row
