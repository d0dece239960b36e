"""Training-schedule variants as one mixin: a subclass names its schedule, nothing else.

nnU-Net finds trainers by class name (``-tr nnUNetTrainerSegCls_smoke``), so every schedule is a
named class, as in nnU-Net's own ``nnUNetTrainer_5epochs``. The mixin keeps nnU-Net's constructor
signature explicit: nnU-Net records ``inspect.signature(self.__init__)`` in its checkpoints.

Example:
    >>> class nnUNetTrainerX_smoke(ScheduleMixin, object):  # doctest: +SKIP
    ...     schedule = (2, 10, 2)
"""
from __future__ import annotations

from typing import Optional

import torch

_CUDA = torch.device("cuda")


class ScheduleMixin:
    """Sets ``schedule = (epochs, iterations per epoch, validation iterations)`` after the trainer's
    own ``__init__``; ``None`` keeps nnU-Net's value (e.g. ``(5, None, None)`` = ``_5epochs``)."""

    schedule: tuple[Optional[int], Optional[int], Optional[int]] = (None, None, None)

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        epochs, iterations, val_iterations = self.schedule
        if epochs is not None:
            self.num_epochs = epochs
        if iterations is not None:
            self.num_iterations_per_epoch = iterations
        if val_iterations is not None:
            self.num_val_iterations_per_epoch = val_iterations


ONE_EPOCH = (1, None, None)
FIVE_EPOCHS = (5, None, None)
SMOKE = (2, 10, 2)  # exercises the whole pipeline (tests), learns next to nothing
DEMO = (30, 50, 10)  # the CPU demo: tiny plans, ~3 min on 2 cores
