"""DINO's teacher update and schedules against hand computations; DINO and CASS losses fall on a toy set."""
from __future__ import annotations

import itertools
import math

import pytest
import torch
from lightly.utils.scheduler import CosineWarmupScheduler
from pretrain_toys import tiny_encoder, toy_settings, toy_views

from segcls3d.training.pretrain.cass import CASS, cass_loss
from segcls3d.training.pretrain.dino import DINO, teacher_momentum, teacher_temperature
from segcls3d.training.pretrain.distributed import Processes
from segcls3d.training.pretrain.run import train_epoch

CPU = Processes(0, 1, torch.device("cpu"))


def _dino() -> DINO:
    torch.manual_seed(0)
    return DINO(tiny_encoder(), toy_settings("dino", 10))


def test_teacher_starts_as_a_copy_of_the_student_and_has_no_gradients():
    model = _dino()
    student = dict(model.student_backbone.named_parameters()) | {
        f"head.{k}": v for k, v in model.student_head.named_parameters()}
    teacher = dict(model.teacher_backbone.named_parameters()) | {
        f"head.{k}": v for k, v in model.teacher_head.named_parameters()}
    assert student.keys() == teacher.keys()
    assert all(torch.equal(student[k], teacher[k]) for k in student)
    assert not any(p.requires_grad for p in teacher.values())
    assert model.exported_encoder() is model.teacher_backbone.encoder


@pytest.mark.parametrize("step", [0, 3, 9])
def test_ema_update_matches_hand_computation(step):
    model = _dino()
    with torch.no_grad():
        for p in itertools.chain(model.student_backbone.parameters(), model.student_head.parameters()):
            p.add_(torch.randn_like(p))
    pairs = list(zip(itertools.chain(model.student_backbone.parameters(), model.student_head.parameters()),
                     itertools.chain(model.teacher_backbone.parameters(), model.teacher_head.parameters())))
    before = [(s.detach().clone(), t.detach().clone()) for s, t in pairs]
    # reference schedule: 0.996 -> 1 on a half cosine over the 10 steps (lightly's cosine_schedule, last step = 1)
    expected_m = 1.0 if step == 9 else 1 - (1 - 0.996) * (math.cos(math.pi * step / 9) + 1) / 2
    m = model.after_step(step, 10)
    assert m == pytest.approx(expected_m, abs=1e-12)
    for (s, t), (s0, t0) in zip(pairs, before):
        assert torch.equal(s, s0)  # the student is not touched
        torch.testing.assert_close(t, expected_m * t0 + (1 - expected_m) * s0, rtol=0, atol=1e-6)
    if step < 9:
        assert any(not torch.equal(t, t0) for (_, t), (_, t0) in zip(pairs, before))


def test_schedules_follow_the_reference_defaults():
    settings = toy_settings("dino", 100)
    assert teacher_momentum(0, 100, settings) == pytest.approx(0.996)
    assert teacher_momentum(99, 100, settings) == 1.0
    assert teacher_momentum(50, 100, settings) == pytest.approx(1 - 0.004 * (math.cos(math.pi * 50 / 99) + 1) / 2)
    # teacher temperature: linear warmup 0.04 -> 0.07 over the first 30 steps, then constant
    assert [teacher_temperature(k, 100, settings) for k in (0, 15, 30, 99)] == pytest.approx([0.04, 0.055, 0.07, 0.07])
    assert settings.student_temperature == 0.1


def test_cass_loss_is_two_minus_two_cosine():
    a, b = torch.randn(5, 7), torch.randn(5, 7)
    expected = (2 - 2 * torch.nn.functional.cosine_similarity(a, b, dim=1)).mean()
    torch.testing.assert_close(cass_loss(a, b), expected)
    assert float(cass_loss(a, 3 * a)) == pytest.approx(0.0, abs=1e-6)
    assert float(cass_loss(a, -a)) == pytest.approx(4.0, abs=1e-6)


def _loss_before_and_after(model, settings, views) -> tuple[float, float, dict]:
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=settings.lr,
                                  weight_decay=settings.wd)
    scheduler = CosineWarmupScheduler(optimizer, 0, settings.total_steps)
    with torch.no_grad():
        before = float(model(views, 0, settings.total_steps))
    log = train_epoch(model, model, itertools.repeat({"views": views}), optimizer, scheduler, None, settings, 0,
                      CPU, progress=False)
    with torch.no_grad():
        after = float(model(views, settings.total_steps - 1, settings.total_steps))
    return before, after, log


def test_dino_student_learns_the_teachers_assignments_on_a_toy_set():
    """The DINO loop (loss, backward, clipping, step, EMA) with the teacher and centre held fixed
    (momentum 1, centre momentum 1) and a constant teacher temperature: the loss is then a fixed target
    that the student must approach."""
    torch.manual_seed(0)
    settings = toy_settings("dino", 60, momentum=(1.0, 1.0), center_momentum=1.0, teacher_temperature=(0.04, 0.04),
                            learning_rate=3e-3)
    model = DINO(tiny_encoder(), settings)
    teacher = {k: v.clone() for k, v in model.teacher_backbone.state_dict().items()}
    before, after, log = _loss_before_and_after(model, settings, toy_views())
    assert after < 0.75 * before, (before, after)
    assert log["epoch"] == 1 and log["seconds"] > 0
    assert all(torch.equal(v, model.teacher_backbone.state_dict()[k]) for k, v in teacher.items())


def test_cass_networks_come_to_agree_on_a_toy_set():
    torch.manual_seed(0)
    settings = toy_settings("cass", 40)
    model = CASS(tiny_encoder(), 1, (16, 16), settings)
    assert model.transformer.image_size == (16, 16)
    before, after, _ = _loss_before_and_after(model, settings, toy_views()[:1])
    assert before > 0.5 and after < 0.25 * before, (before, after)
