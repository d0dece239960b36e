"""Online validation: image-level AUROC of the summarizing function on the validation patches.

nnU-Net's per-epoch validation runs on random patches and reports a "pseudo Dice". Next to it we
summarize each validation patch with g and log a "pseudo AUROC" against the patch labels (see
``patch_labels``). The summarizer only runs at validation, so training iterations cost the same.
"""
from __future__ import annotations

import warnings
from typing import List

import numpy as np
import torch

from segcls3d.training.patch_labels import patch_class_labels


def auroc_or_nan(labels: np.ndarray, scores: np.ndarray) -> float:
    """AUROC over the known labels (NaN labels dropped); NaN, without a warning, if only one class is left."""
    from segcls3d.metrics.auroc import compute_auroc

    known = ~np.isnan(labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # logged every epoch: NaN in the log is enough
        return compute_auroc(labels[known], scores[known])


def output_probabilities(logits: torch.Tensor, has_regions: bool) -> torch.Tensor:
    """Softmax (labels) or sigmoid (regions) of network logits."""
    return torch.sigmoid(logits.float()) if has_regions else torch.softmax(logits.float(), 1)


class PatchAUROCMixin:
    """Adds ``val_auroc`` (mean over classes) and ``val_auroc_per_class`` to nnU-Net's log."""

    extra_logging_keys = ("val_auroc", "val_auroc_per_class")

    def on_validation_epoch_start(self):
        super().on_validation_epoch_start()
        self._captured_output = None
        self._capture_handle = self.network.register_forward_hook(self._capture_output)

    def _capture_output(self, module, inputs, output) -> None:
        self._captured_output = output

    def validation_step(self, batch: dict) -> dict:
        target = batch["target"][0] if isinstance(batch["target"], list) else batch["target"]
        labels = patch_class_labels(
            target.clone(), self.batch_case_labels(batch["keys"]), self.class_names, self.channel_groups,
            self.label_manager.has_regions, self.label_manager.ignore_label,
        )
        result = super().validation_step(batch)
        output = self._captured_output
        output = output[0] if isinstance(output, (list, tuple)) else output
        result["segcls_scores"] = self._patch_scores(output)
        result["segcls_labels"] = labels.numpy()
        return result

    def _patch_scores(self, logits: torch.Tensor) -> np.ndarray:
        from segcls3d.summarize import class_probability_maps

        probs = output_probabilities(logits, self.label_manager.has_regions).cpu().numpy()
        spacing = self.configuration_manager.spacing
        scores = np.full((probs.shape[0], len(self.class_names)), np.nan, dtype=np.float32)
        for b in range(probs.shape[0]):
            maps = class_probability_maps(probs[b], self.channel_groups)
            summary = self.summarizer.summarize(maps, spacing[-(probs.ndim - 2):])
            for j, name in enumerate(self.class_names):
                if name in summary:
                    scores[b, j] = summary[name].probability
        return scores

    def on_validation_epoch_end(self, val_outputs: List[dict]):
        self._capture_handle.remove()
        scores = np.concatenate([o.pop("segcls_scores") for o in val_outputs])
        labels = np.concatenate([o.pop("segcls_labels") for o in val_outputs])
        super().on_validation_epoch_end(val_outputs)
        per_class = [auroc_or_nan(labels[:, j], scores[:, j]) for j in range(len(self.class_names))]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = float(np.nanmean(per_class)) if per_class else float("nan")
        self.logger.log("val_auroc", mean, self.current_epoch)
        self.logger.log("val_auroc_per_class", per_class, self.current_epoch)
        self.print_to_log_file("Pseudo AUROC (validation patches)", [np.round(v, 4) for v in per_class])
