"""nnU-Net's predictor, also collecting the multitask head's output for each case."""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch
from nnunetv2.inference.predict_from_raw_data import nnUNetPredictor

from segcls3d.model.heads import get_head


class HeadRecordingPredictor(nnUNetPredictor):
    """Sliding-window prediction as nnU-Net does it; the head's logits of every network call are kept.

    Per fold, a tile's probability is the mean over its mirrored copies and the case probability is
    the max over tiles (a finding in any tile makes the case positive); folds are averaged.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._fold_probabilities: list[np.ndarray] = []

    def _calls_per_tile(self) -> int:
        axes = self.allowed_mirroring_axes if self.use_mirroring else None
        return 2 ** len(axes) if axes else 1

    @torch.inference_mode()
    def predict_sliding_window_return_logits(self, input_image: torch.Tensor):
        head = get_head(self.network)
        if head is None:
            return super().predict_sliding_window_return_logits(input_image)
        head.record = []
        try:
            logits = super().predict_sliding_window_return_logits(input_image)
            recorded = torch.cat([r.float().cpu() for r in head.record])  # (n_calls, n_classes)
        finally:
            head.record = None
        per_tile = torch.sigmoid(recorded).reshape(-1, self._calls_per_tile(), recorded.shape[-1]).mean(1)
        self._fold_probabilities.append(per_tile.amax(0).numpy())
        return logits

    def pop_head_probabilities(self) -> Optional[np.ndarray]:
        """Head probabilities (n_classes,) of the case predicted last, averaged over folds; then reset."""
        if not self._fold_probabilities:
            return None
        probs = np.mean(self._fold_probabilities, axis=0)
        self._fold_probabilities = []
        return probs
