"""nnUNetTrainerCls: the paper's classification baseline inside nnU-Net.

The plan's encoder + global pooling (average + maximum; ``nnUNetTrainerClsAvgPool``: the average
alone) + a linear layer per class, trained with BCE on the image-level labels (unknown labels add
nothing). It never trains on a random crop: each sample is the whole preprocessed image, shrunk to
fit the patch if larger and centred, with nnU-Net's augmentation. It logs ``val_auroc`` (whole
validation images) and its moving average ``ema_val_auroc``, and chooses ``checkpoint_best`` on the
latter; nnU-Net's Dice keys stay empty.
"""
from __future__ import annotations

from os.path import join
from pathlib import Path
from time import time
from typing import List

import numpy as np
import torch

from segcls3d.model.builders import build_classifier
from segcls3d.model.heads import unwrap
from segcls3d.model.losses import masked_bce_with_logits
from segcls3d.model.whole_image import classify_whole_image
from segcls3d.summarize import head_row
from segcls3d.training.case_data import load_network_input
from segcls3d.training.logging_keys import moving_average, moving_averages
from segcls3d.training.patch_scores import per_class_auroc
from segcls3d.training.progress_plot import plot_classifier_progress
from segcls3d.training.segcls import nnUNetTrainerSegCls
from segcls3d.training.steps import autocast_for, backward_and_step
from segcls3d.training.whole_image_loader import WholeImageDataLoader


class nnUNetTrainerCls(nnUNetTrainerSegCls):
    """Classification baseline: the plan's encoder + global pooling + linear head, whole images.

    Its batches are class-balanced like SegCls's (``positive_fraction``), so the comparison stays fair;
    ``nnUNetTrainerClsUniformSampling`` reproduces the paper's unbalanced setting.
    """

    loader_class = WholeImageDataLoader

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict,
                 device: torch.device = torch.device("cuda")):
        super().__init__(plans, configuration, fold, dataset_json, device)
        self.enable_deep_supervision = False
        self.oversample_foreground_percent = 0.0
        self.add_logging_keys("ema_val_auroc")

    @staticmethod
    def build_network_architecture(plans_manager, configuration_manager, num_input_channels: int,
                                   num_output_channels: int, enable_deep_supervision: bool = True):
        return build_classifier(configuration_manager, num_input_channels)

    def load_checkpoint(self, filename_or_checkpoint) -> None:
        """Also rebuild ``ema_val_auroc`` from ``val_auroc`` when the checkpoint predates it."""
        super().load_checkpoint(filename_or_checkpoint)
        log = self.logger.local_logger.my_fantastic_logging
        if any(not np.isnan(v) for v in log["val_auroc"]) and all(np.isnan(v) for v in log["ema_val_auroc"]):
            log["ema_val_auroc"] = moving_averages(log["val_auroc"])

    def set_deep_supervision_enabled(self, enabled: bool):
        """The classifier has no decoder."""

    def _do_i_compile(self):
        return False

    def _build_loss(self):
        return masked_bce_with_logits

    def _step(self, batch: dict):
        data = batch["data"].to(self.device, non_blocking=True)
        labels = self.batch_case_labels(batch["keys"]).to(self.device)
        with autocast_for(self.device):
            logits = self.network(data)
            loss = self.loss(logits.float(), labels)
        return loss, logits, labels

    def train_step(self, batch: dict) -> dict:
        self.optimizer.zero_grad(set_to_none=True)
        loss, _, _ = self._step(batch)
        backward_and_step(self, loss)
        return {"loss": loss.detach().cpu().numpy()}

    def on_validation_epoch_start(self):
        self.network.eval()  # no patch summaries: the classifier has no segmentation output

    def validation_step(self, batch: dict) -> dict:
        loss, logits, labels = self._step(batch)
        return {"loss": loss.detach().cpu().numpy(), "probs": torch.sigmoid(logits.float()).cpu().numpy(),
                "labels": labels.cpu().numpy()}

    def on_validation_epoch_end(self, val_outputs: List[dict]):
        probs = np.concatenate([o["probs"] for o in val_outputs])
        labels = np.concatenate([o["labels"] for o in val_outputs])
        self.logger.log("val_losses", float(np.mean([o["loss"] for o in val_outputs])), self.current_epoch)
        mean = self.log_auroc("val_auroc", per_class_auroc(labels, probs), "Validation AUROC (whole images)")
        previous = self.logger.get_value("ema_val_auroc", step=None)
        self.logger.log("ema_val_auroc", moving_average(previous, mean), self.current_epoch)

    def on_epoch_end(self):
        """nnU-Net's epoch end, with ``checkpoint_best`` chosen on the EMA of the validation AUROC."""
        self.logger.log("epoch_end_timestamps", time(), self.current_epoch)
        log = self.logger.get_value
        self.print_to_log_file("train_loss", np.round(log("train_losses", step=-1), decimals=4))
        self.print_to_log_file("val_loss", np.round(log("val_losses", step=-1), decimals=4))
        self.print_to_log_file("Epoch time:", np.round(log("epoch_end_timestamps", step=-1)
                                                       - log("epoch_start_timestamps", step=-1), decimals=2), "s")
        if (self.current_epoch + 1) % self.save_every == 0 and self.current_epoch != self.num_epochs - 1:
            self.save_checkpoint(join(self.output_folder, "checkpoint_latest.pth"))
        ema = log("ema_val_auroc", step=-1)
        if self._best_ema is None or np.isnan(self._best_ema) or ema > self._best_ema:  # NaN: no AUROC yet
            self._best_ema = ema
            self.print_to_log_file(f"New best EMA validation AUROC: {np.round(ema, decimals=4)}")
            self.save_checkpoint(join(self.output_folder, "checkpoint_best.pth"))
        if self.local_rank == 0:
            plot_classifier_progress(self.logger.local_logger.my_fantastic_logging, Path(self.output_folder))
        self.current_epoch += 1

    def validation_rows(self, save_probabilities: bool) -> list[dict]:
        """Classify every validation case as a whole image, as at inference."""
        if self.local_rank != 0:
            return []
        self.network.eval()
        _, val_keys = self.do_split()
        dataset = self.dataset_class(self.preprocessed_dataset_folder, val_keys,
                                     folder_with_segs_from_previous_stage=self.folder_with_segs_from_previous_stage)
        rows = []
        for key in dataset.identifiers:
            data = load_network_input(dataset, key, self.label_manager)
            probs = classify_whole_image(unwrap(self.network), data, self.configuration_manager.patch_size,
                                         self.device, self.inference_allowed_mirroring_axes, key)
            rows.append(head_row(key, self.class_names, probs))
        return rows
