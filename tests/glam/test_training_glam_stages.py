"""GLAM's stage schedule: which epoch trains which stage, and the learning rate restarting per stage."""
from __future__ import annotations

import pytest
import torch

from segcls3d.training.glam.stages import StageSchedule, StagewisePolyLR


@pytest.mark.parametrize("epochs, fractions, expected", [
    (20, (0.5, 0.3, 0.2), (10, 6, 4)),
    (1000, (0.5, 0.3, 0.2), (500, 300, 200)),
    (3, (0.5, 0.3, 0.2), (1, 1, 1)),
    (7, (0.5, 0.3, 0.2), (4, 2, 1)),
    (10, (1.0, 0.0, 0.0), (10, 0, 0)),   # the global module alone (CAM with multi-scale maps)
    (10, (0.0, 1.0, 1.0), (0, 5, 5)),    # from a pretrained global module (-pretrained_weights)
])
def test_epochs_per_stage(epochs, fractions, expected):
    schedule = StageSchedule.from_fractions(epochs, fractions)
    assert schedule.epochs == expected and sum(schedule.epochs) == epochs


def test_stage_of_each_epoch_and_stage_ends():
    s = StageSchedule((3, 2, 1))
    assert [s.stage_at(e) for e in range(6)] == ["global"] * 3 + ["local"] * 2 + ["joint"]
    assert [e for e in range(6) if s.is_last_epoch_of_stage(e)] == [2, 4, 5]
    assert s.stage_at(10) == "joint" and StageSchedule((4, 0, 0)).stage_at(7) == "global"
    with pytest.raises(ValueError):
        StageSchedule.from_fractions(10, (0.5, 0.5))


def test_poly_learning_rate_restarts_at_each_stage():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = StagewisePolyLR(optimizer, 0.1, StageSchedule((4, 2, 2)))
    lrs = []
    for epoch in range(8):
        scheduler.step(epoch)
        lrs.append(optimizer.param_groups[0]["lr"])
    expected = [0.1 * (1 - e / 4) ** 0.9 for e in range(4)] + [0.1 * (1 - e / 2) ** 0.9 for e in range(2)] * 2
    assert lrs == pytest.approx(expected)
