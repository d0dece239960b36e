"""nnU-Net's patch loader where each sample is an expert case with probability p, a weak case otherwise.

The group is drawn first for every sample of a batch (expert with probability ``expert_probability``),
then the case within the group with the label-aware weights of
:class:`~segcls3d.training.label_aware_loader.LabelAwareDataLoader` restricted to the group (and, for
a foreground-forced sample, to the group's cases with foreground; a group without any keeps its
unforced weights, so that the expert share stays p). Cropping, transforms and the batch are nnU-Net's.
"""
from __future__ import annotations

import logging
from typing import Collection, Optional

import numpy as np

from segcls3d.training.label_aware_loader import LabelAwareDataLoader
from segcls3d.training.sampling import restricted

logger = logging.getLogger(__name__)


class CheXsegDataLoader(LabelAwareDataLoader):
    """:class:`LabelAwareDataLoader` drawing each sample from ``expert_cases`` with probability ``expert_probability``.

    Raises:
        ValueError: ``expert_probability`` outside [0, 1].
    """

    def __init__(self, *args, expert_cases: Collection[str] = (), expert_probability: float = 0.9,
                 foreground_cases: Optional[Collection[str]] = None, **kwargs):
        super().__init__(*args, foreground_cases=foreground_cases, **kwargs)
        if not 0.0 <= expert_probability <= 1.0:
            raise ValueError(f"expert_probability must be in [0, 1], got {expert_probability}")
        keys = [str(k) for k in self.indices]
        expert = np.array([k in set(map(str, expert_cases)) for k in keys], dtype=bool)
        foreground = np.ones(len(keys), bool) if foreground_cases is None else \
            np.array([k in set(map(str, foreground_cases)) for k in keys], dtype=bool)
        self.expert_probability = float(expert_probability)
        groups = ((True, expert), (False, ~expert))
        self._group_weights = {g: restricted(self.sampling_probabilities, members) for g, members in groups}
        self._group_forced_weights = {g: restricted(self.sampling_probabilities, members & foreground)
                                      for g, members in groups}
        for group, name in ((True, "expert"), (False, "weak")):
            share = self.expert_probability if group else 1.0 - self.expert_probability
            if self._group_weights[group] is None and share > 0:
                logger.warning("no %s case among the %d cases of this loader: every sample comes from the other "
                               "group", name, len(keys))

    def _draw(self, forced: bool):
        group = bool(np.random.uniform() < self.expert_probability)
        if self._group_weights[group] is None:
            group = not group
        p = self._group_forced_weights[group] if forced else None
        p = self._group_weights[group] if p is None else p
        return self.indices[np.random.choice(len(self.indices), p=p)]
