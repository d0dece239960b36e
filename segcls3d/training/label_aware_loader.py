"""nnU-Net's patch loader with label-aware case sampling (see ``training/sampling.py``)."""
from __future__ import annotations

from typing import Collection, Mapping, Optional

import numpy as np
from nnunetv2.training.dataloading.data_loader import nnUNetDataLoader

from segcls3d.training.sampling import restricted


class LabelAwareDataLoader(nnUNetDataLoader):
    """Draws each sample of a batch on its own: the non-forced slots with ``case_probabilities``, the
    foreground-forced slots from ``foreground_cases`` (same weights, renormalized).

    Both are keyed by case id; None keeps nnU-Net's choice (uniform; any case). Which slots are forced,
    cropping, transforms and the batch format are nnU-Net's.
    """

    def __init__(self, *args, case_probabilities: Optional[Mapping[str, float]] = None,
                 foreground_cases: Optional[Collection[str]] = None, **kwargs):
        super().__init__(*args, **kwargs)
        keys = [str(k) for k in self.indices]
        if case_probabilities is not None:
            missing = [k for k in keys if k not in case_probabilities]
            if missing:
                raise ValueError(f"no sampling probability for case(s) {missing[:5]}")
            weights = np.array([case_probabilities[k] for k in keys], dtype=float)
            self.sampling_probabilities = weights / weights.sum()
        fg = None if foreground_cases is None else set(foreground_cases)
        members = [fg is None or k in fg for k in keys]
        self._forced_probabilities = restricted(self.sampling_probabilities, members)
        self._decide_forced = self.get_do_oversample
        self.get_do_oversample = self._forced_in_batch
        self._forced: list[bool] = []

    def get_indices(self) -> list:
        self._forced = [bool(self._decide_forced(j)) for j in range(self.batch_size)]
        return [self._draw(forced) for forced in self._forced]

    def _draw(self, forced: bool):
        p = self._forced_probabilities if forced and self._forced_probabilities is not None \
            else self.sampling_probabilities
        return self.indices[np.random.choice(len(self.indices), p=p)]

    def _forced_in_batch(self, sample_idx: int) -> bool:
        return self._forced[sample_idx]
