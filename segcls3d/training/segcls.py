"""nnUNetTrainerSegCls: nnU-Net's segmentation training that also knows each case's image-level label.

Training itself is stock nnU-Net. What the class adds:

* the image-level labels (``classification_labels.csv`` or derived from the masks), validated
  before nnU-Net starts its data loaders (a bad file stops ``nnUNetv2_train`` with one line);
* label-aware sampling (``training/sampling.py``): ``positive_fraction`` of each training batch comes
  from positive cases, foreground-forced samples come from cases with foreground, and
  ``foreground_share`` of the batch is forced (validation patches likewise, with
  ``validation_positive_fraction``); None keeps nnU-Net's uniform draw and its third;
* folds stratified by the labels when the dataset has no ``splits_final.json`` yet, and a loud
  warning when the validation fold has no positive case of a class;
* each validation epoch, the rule-based g summarizes every validation patch and ``val_auroc`` /
  ``val_auroc_per_class`` (a "pseudo AUROC") are logged next to nnU-Net's pseudo Dice;
* the final validation summarizes the full validation cases into ``validation/classification.csv``
  and ``summary_classification.json``. Probabilities are kept only with ``--npz`` (out-of-fold
  predictions that trained summarizers are fitted on).

``checkpoint_best`` stays nnU-Net's (EMA pseudo Dice): this is a segmentation model.
Subclasses override ``validation_rows`` to classify the validation cases another way.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import List, Optional

import numpy as np
import torch
from nnunetv2.training.dataloading.nnunet_dataset import infer_dataset_class
from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

from segcls3d.errors import SegCls3dError
from segcls3d.labels import LABELS_FILENAME, CaseLabels, class_definitions
from segcls3d.labels.folds import SPLITS_FILENAME, folds_without_positives
from segcls3d.model.class_channels import class_channel_groups
from segcls3d.model.plans_classes import store_classes
from segcls3d.summarize import RuleBasedSummarizer
from segcls3d.training.case_labels import class_locations, read_case_labels
from segcls3d.training.case_validation import report_case_validation
from segcls3d.training.dataloaders import build_augmenters
from segcls3d.training.label_aware_loader import LabelAwareDataLoader
from segcls3d.training.logging_keys import mean_known, register_logging_keys
from segcls3d.training.patch_labels import patch_class_labels
from segcls3d.training.patch_scores import patch_scores, per_class_auroc
from segcls3d.training.sampling import (
    DEFAULT_FOREGROUND_SHARE,
    DEFAULT_POSITIVE_FRACTION,
    case_sampling_probabilities,
    has_foreground,
)
from segcls3d.training.splits import write_stratified_splits
from segcls3d.training.unannotated import annotated_classes_key, is_unlabeled
from segcls3d.training.validation_summary import summarize_probability_files


class nnUNetTrainerSegCls(nnUNetTrainer):
    """nnU-Net segmentation training; validation also reports the image-level AUROC of the rule-based g."""

    #: share of positive cases per training batch; None: nnU-Net's uniform draw (``...UniformSampling`` variants)
    positive_fraction: Optional[float] = DEFAULT_POSITIVE_FRACTION
    #: the same for the validation patches behind the pseudo Dice and pseudo AUROC
    validation_positive_fraction: Optional[float] = DEFAULT_POSITIVE_FRACTION
    #: foreground-forced share of each batch (nnU-Net's oversample_foreground_percent); None keeps nnU-Net's 0.33
    foreground_share: Optional[float] = DEFAULT_FOREGROUND_SHARE
    #: nnU-Net's patch loader with label-aware sampling; the classifier swaps in whole images
    loader_class = LabelAwareDataLoader

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict,
                 device: torch.device = torch.device("cuda")):
        super().__init__(store_classes(plans, configuration, dataset_json), configuration, fold, dataset_json, device)
        self.summarizer = RuleBasedSummarizer()
        self.class_definitions = class_definitions(dataset_json)
        self.class_names = [c.name for c in self.class_definitions]
        self.channel_groups = class_channel_groups(self.class_definitions, self.label_manager)
        self.case_labels: Optional[CaseLabels] = None
        self._captured_output = None
        self.logging_keys: list[str] = []
        self.add_logging_keys("val_auroc", "val_auroc_per_class")
        if self.foreground_share is not None:
            self.oversample_foreground_percent = self.foreground_share

    def add_logging_keys(self, *keys: str) -> None:
        """Per-epoch log keys of this trainer (registered with nnU-Net's logger, again after loading)."""
        self.logging_keys += keys
        register_logging_keys(self.logger, keys)

    def load_checkpoint(self, filename_or_checkpoint) -> None:
        """nnU-Net's loading; our log keys survive a checkpoint saved without them (NaN for old epochs)."""
        super().load_checkpoint(filename_or_checkpoint)
        register_logging_keys(self.logger, self.logging_keys, epochs=self.current_epoch)

    # --- image-level labels -------------------------------------------------------------------
    def on_train_start(self):
        """Validate the image-level labels before nnU-Net starts its data loaders."""
        if not self.was_initialized:
            self.initialize()
        try:
            self.load_case_labels()
        except SegCls3dError as exc:  # a user error: one clear line from nnUNetv2_train, no traceback
            raise SystemExit(f"segcls3d: {exc}") from None
        self.warn_on_validation_fold()
        super().on_train_start()

    def load_case_labels(self) -> CaseLabels:
        """Read (once) and validate the labels of all preprocessed training cases; copy the CSV next to the model."""
        if self.case_labels is not None:
            return self.case_labels
        identifiers = self.dataset_class.get_identifiers(self.preprocessed_dataset_folder)
        self.case_labels, csv = read_case_labels(self.plans_manager.dataset_name, self.preprocessed_dataset_folder,
                                                 identifiers, self.class_definitions, self.channel_groups,
                                                 self.label_manager.has_regions)
        self.print_to_log_file(f"segcls3d: image-level labels from {csv}" if csv is not None else
                               f"segcls3d: no {LABELS_FILENAME} found for {self.plans_manager.dataset_name}; "
                               "image-level labels derived from the masks")
        if csv is not None and self.local_rank == 0 and self.output_folder_base is not None:
            Path(self.output_folder_base).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(csv, Path(self.output_folder_base) / LABELS_FILENAME)
        return self.case_labels

    # --- folds and sampling ---------------------------------------------------------------------
    def do_split(self):
        """nnU-Net's split; where nnU-Net would write a random one, folds stratified by the labels instead."""
        if self.dataset_class is None:
            self.dataset_class = infer_dataset_class(self.preprocessed_dataset_folder)
        splits_file = Path(self.preprocessed_dataset_folder_base) / SPLITS_FILENAME
        if self.fold != "all" and self.local_rank == 0 and not splits_file.is_file():
            try:
                identifiers = self.dataset_class.get_identifiers(self.preprocessed_dataset_folder)
                write_stratified_splits(splits_file, identifiers, self.load_case_labels())
                self.print_to_log_file(f"segcls3d: wrote {splits_file} (folds stratified by the image-level labels)")
            except (SegCls3dError, ValueError) as exc:  # nnU-Net's random split follows
                self.print_to_log_file(f"segcls3d: no stratified folds ({exc})")
        return super().do_split()

    def warn_on_validation_fold(self) -> None:
        """Warn loudly when the validation fold has no positive case of a class that has positives."""
        if self.fold == "all":
            return
        _, val_keys = self.do_split()
        labels = self.load_case_labels()
        everything = {c: labels[c] for c in labels.case_ids}
        for _, name in folds_without_positives([{"val": val_keys}], everything, self.class_names):
            self.print_to_log_file(
                f"segcls3d: WARNING: fold {self.fold} has no positive case of class '{name}' among its "
                f"{len(val_keys)} validation cases: its pseudo Dice and pseudo AUROC stay undefined. Use folds "
                "stratified by the labels (segcls3d splits) or another fold.", also_print_to_console=True)

    def sampling_options(self, keys, positive_fraction: Optional[float]) -> dict:
        """LabelAwareDataLoader arguments for the cases ``keys``; empty (nnU-Net's draw) when the fraction is None."""
        if positive_fraction is None:
            return {}
        keys = [str(k) for k in keys]
        probabilities = case_sampling_probabilities(self.load_case_labels().batch(keys), positive_fraction)
        options = {"case_probabilities": None if probabilities is None else dict(zip(keys, probabilities))}
        if self.oversample_foreground_percent > 0:  # only forced samples need to know which cases have foreground
            annotated = annotated_classes_key(self.label_manager.all_labels)
            folder = self.preprocessed_dataset_folder
            options["foreground_cases"] = {k for k in keys if has_foreground(class_locations(folder, k), annotated)}
        return options

    def get_dataloaders(self):
        """nnU-Net's augmentation pipeline with label-aware sampling (``positive_fraction``)."""
        tr_keys, val_keys = self.do_split()
        return build_augmenters(self, self.loader_class,
                                train_options=self.sampling_options(tr_keys, self.positive_fraction),
                                val_options=self.sampling_options(val_keys, self.validation_positive_fraction))

    def batch_case_labels(self, keys) -> torch.Tensor:
        """(B, n_classes) float tensor of the case labels of a batch (NaN = unknown)."""
        return torch.from_numpy(self.load_case_labels().batch([str(k) for k in keys]))

    def unannotated_cases(self, keys) -> torch.Tensor:
        """(B,) bool: the case has no annotated voxel (mask all ``ignore``; read once per case from its properties)."""
        if not self.label_manager.has_ignore_label:
            return torch.zeros(len(keys), dtype=torch.bool)
        known: dict[str, bool] = self.__dict__.setdefault("_unannotated", {})
        key = annotated_classes_key(self.label_manager.all_labels)
        for k in map(str, keys):
            if k not in known:
                known[k] = is_unlabeled({"class_locations": class_locations(self.preprocessed_dataset_folder, k)},
                                        key, True)
        return torch.tensor([known[str(k)] for k in keys], dtype=torch.bool)

    def patch_labels(self, batch: dict, case_label_if_unannotated: bool = False) -> torch.Tensor:
        """(B, n_classes) labels of the batch's patches (see ``patch_labels.patch_class_labels``); with
        ``case_label_if_unannotated`` patches of cases without any annotated voxel take their case label."""
        target = batch["target"][0] if isinstance(batch["target"], list) else batch["target"]
        unannotated = self.unannotated_cases(batch["keys"]) if case_label_if_unannotated else None
        return patch_class_labels(target, self.batch_case_labels(batch["keys"]), self.class_names,
                                  self.channel_groups, self.label_manager.has_regions,
                                  self.label_manager.ignore_label, unannotated)

    # --- per-epoch validation: pseudo AUROC of g on the validation patches ---------------------
    def on_validation_epoch_start(self):
        super().on_validation_epoch_start()
        self._capture_handle = self.network.register_forward_hook(self._capture_output)

    def _capture_output(self, module, inputs, output) -> None:
        self._captured_output = output[0] if isinstance(output, (list, tuple)) else output

    def validation_step(self, batch: dict) -> dict:
        labels = self.patch_labels(batch)
        result = super().validation_step(batch)
        result["segcls_scores"] = patch_scores(self._captured_output, self.summarizer, self.channel_groups,
                                               self.class_names, self.configuration_manager.spacing,
                                               self.label_manager.has_regions)
        result["segcls_labels"] = labels.numpy()
        return result

    def on_validation_epoch_end(self, val_outputs: List[dict]):
        self._capture_handle.remove()
        self._captured_output = None
        scores = np.concatenate([o.pop("segcls_scores") for o in val_outputs])
        labels = np.concatenate([o.pop("segcls_labels") for o in val_outputs])
        super().on_validation_epoch_end(val_outputs)
        self.log_auroc("val_auroc", per_class_auroc(labels, scores), "Pseudo AUROC (validation patches)")

    def log_auroc(self, key: str, per_class: list[float], title: str) -> float:
        """Log ``key`` (mean over classes with a defined AUROC) and ``<key>_per_class``; return the mean."""
        mean = mean_known(per_class)
        self.logger.log(key, mean, self.current_epoch)
        self.logger.log(f"{key}_per_class", per_class, self.current_epoch)
        self.print_to_log_file(title, [np.round(v, 4) for v in per_class])
        return mean

    # --- final validation: the full validation cases -----------------------------------------
    def perform_actual_validation(self, save_probabilities: bool = False):
        """Classify every validation case; write classification.csv and image-level metrics."""
        rows = self.validation_rows(save_probabilities)
        if self.local_rank != 0:
            return
        if not rows:
            self.print_to_log_file("segcls3d: no validation cases to summarize")
            return
        report_case_validation(rows, Path(self.output_folder) / "validation", self.load_case_labels(),
                               self._log_final_auroc)

    def validation_rows(self, save_probabilities: bool) -> list[dict]:
        """nnU-Net's sliding-window validation (probabilities kept), each case summarized by g."""
        super().perform_actual_validation(True)
        if self.local_rank != 0:
            return []
        return summarize_probability_files(Path(self.output_folder) / "validation", self.channel_groups,
                                           self.summarizer, delete_probabilities=not save_probabilities)

    def _log_final_auroc(self, name: str, source: str, auroc: float) -> None:
        self.logger.log_summary(f"final_val/{name}_{source}_auroc", auroc)
        self.print_to_log_file(f"segcls3d: validation AUROC {name} ({source}): {auroc}", also_print_to_console=True)
