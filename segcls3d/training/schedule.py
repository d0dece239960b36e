"""Training-schedule variants as one mixin: a subclass names its schedule, nothing else.

nnU-Net finds trainers by class name (``-tr nnUNetTrainerSegCls_5epochs``), so every schedule is
a named class, as in nnU-Net's own ``nnUNetTrainer_5epochs``. The mixin is the one behaviour that
otherwise unrelated trainers share. It keeps nnU-Net's constructor signature explicit: nnU-Net
records ``inspect.signature(self.__init__)`` in its checkpoints and rebuilds trainers from it.

Example:
    >>> from segcls3d.training.schedules import SMOKE
    >>> class nnUNetTrainerX_smoke(ScheduleMixin, object):  # doctest: +SKIP
    ...     schedule = SMOKE
"""
from __future__ import annotations

from typing import Optional

import torch

from segcls3d.training.schedules import Schedule

_CUDA = torch.device("cuda")


class ScheduleMixin:
    """Sets ``schedule = (epochs, iterations per epoch, validation iterations)`` and ``learning_rate``
    (the initial one) after the trainer's own ``__init__``; ``None`` keeps nnU-Net's value.

    ``final_validation_needs_npz``: skip nnU-Net's final validation unless its probabilities are
    exported (``--npz``). The experiment suite tests every model on a separate test set, so the
    held-out fold is only predicted where trained summarizers need its out-of-fold probabilities.
    """

    schedule: Schedule = (None, None, None)
    final_validation_needs_npz: bool = False
    learning_rate: Optional[float] = None  # None keeps nnU-Net's initial_lr

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        epochs, iterations, val_iterations = self.schedule
        if epochs is not None:
            self.num_epochs = epochs
        if iterations is not None:
            self.num_iterations_per_epoch = iterations
        if val_iterations is not None:
            self.num_val_iterations_per_epoch = val_iterations
        if self.learning_rate is not None:
            self.initial_lr = self.learning_rate

    def perform_actual_validation(self, save_probabilities: bool = False):
        if self.final_validation_needs_npz and not save_probabilities:
            self.print_to_log_file("segcls3d: final validation skipped (this schedule runs it only with --npz)")
            return
        super().perform_actual_validation(save_probabilities)
