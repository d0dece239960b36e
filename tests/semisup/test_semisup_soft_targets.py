"""Soft targets: tempering, the distillation loss, preprocessing geometry, and storage."""
from __future__ import annotations

from functools import partial
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from segcls3d.errors import InputDataError, SegCls3dError
from segcls3d.labels.soft_targets import load_soft_target, save_soft_target, soft_target_block, soft_target_settings
from segcls3d.training.semisup.losses import distillation_loss, resize_soft_target
from segcls3d.training.semisup.soft_target_loader import fill_padding_as_background
from segcls3d.training.semisup.soft_target_preprocessing import preprocess_soft_target


def test_distillation_loss_is_kl_with_tempered_student():
    tau = 10.0
    student = torch.randn(2, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    q = torch.softmax(torch.randn(2, 3, 4, 4, dtype=torch.float64) * 4, 1)
    loss = distillation_loss(student, q, tau)
    log_s = torch.log_softmax(student.float() / tau, 1)
    expected = (q * (torch.log(q) - log_s)).sum(1).mean()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    # same gradient as cross-entropy to q (the entropy term is constant)
    (grad,) = torch.autograd.grad(loss, student)
    ce = -(q * torch.log_softmax(student / tau, 1)).sum(1).mean()
    (grad_ce,) = torch.autograd.grad(ce, student)
    torch.testing.assert_close(grad.double(), grad_ce, atol=1e-7, rtol=1e-4)
    # zero at a perfect match: the student's logits are the teacher's
    teacher_logits = torch.randn(2, 3, 4, 4)
    matched = distillation_loss(teacher_logits, torch.softmax(teacher_logits / tau, 1), tau)
    assert matched.item() == pytest.approx(0, abs=1e-6)


def test_distillation_loss_regions_is_bce_minus_entropy():
    tau = 10.0
    student, q = torch.randn(2, 2, 5, 5), torch.rand(2, 2, 5, 5)
    bce = F.binary_cross_entropy_with_logits(student / tau, q, reduction="none")
    entropy = -(q * q.log() + (1 - q) * (1 - q).log())
    assert distillation_loss(student, q, tau, has_regions=True).item() == pytest.approx((bce - entropy).mean().item(),
                                                                                        rel=1e-5)


def test_resize_soft_target_averages_probabilities():
    soft = torch.softmax(torch.randn(1, 2, 8, 8, 8), 1)
    small = resize_soft_target(soft, (4, 4, 4))
    torch.testing.assert_close(small, F.avg_pool3d(soft, 2))
    torch.testing.assert_close(small.sum(1), torch.ones(1, 4, 4, 4))


def test_padding_is_filled_as_background():
    soft = torch.zeros(3, 2, 2)
    soft[:, 0, 0] = torch.tensor([0.2, 0.5, 0.3])
    soft[1, 0, 1] = 0.5  # half-padded voxel (linear interpolation with zeros outside)
    out = fill_padding_as_background(soft.clone(), has_regions=False)
    torch.testing.assert_close(out.sum(0), torch.ones(2, 2))
    assert out[0, 1, 1] == 1 and out[0, 0, 1] == 0.5


def _managers(spacing_fine, transpose=(0, 1, 2)):
    """Plans/configuration stand-ins with nnU-Net's own probability resampling function."""
    from nnunetv2.preprocessing.resampling.default_resampling import resample_data_or_seg_to_shape

    resample = partial(resample_data_or_seg_to_shape, is_seg=False, order=1, order_z=0, force_separate_z=None)
    return (SimpleNamespace(transpose_forward=list(transpose)),
            SimpleNamespace(spacing=list(spacing_fine), resampling_fn_probabilities=resample))


def test_preprocess_soft_target_transposes_crops_and_resamples():
    rng = np.random.default_rng(0)
    soft = rng.random((2, 6, 8, 10)).astype(np.float32)
    soft /= soft.sum(0, keepdims=True)
    properties = {"shape_before_cropping": (10, 8, 6), "bbox_used_for_cropping": [[1, 9], [0, 8], [2, 6]],
                  "spacing": [2.0, 1.0, 1.0]}
    plans, config = _managers([1.0, 1.0, 2.0], transpose=(2, 1, 0))
    out = preprocess_soft_target(soft, properties, (8, 8, 4), plans, config, has_regions=False)
    expected = soft.transpose(0, 3, 2, 1)[:, 1:9, 0:8, 2:6]  # same spacing after transpose: no resampling
    np.testing.assert_allclose(out, expected, atol=1e-6)

    plans, config = _managers([0.5, 0.5, 1.0], transpose=(2, 1, 0))
    fine = preprocess_soft_target(soft, properties, (16, 16, 8), plans, config, has_regions=False)
    assert fine.shape == (2, 16, 16, 8)
    np.testing.assert_allclose(fine.sum(0), 1.0, atol=1e-5)
    assert fine.min() >= 0


def test_preprocess_soft_target_rejects_wrong_shape():
    plans, config = _managers([1.0, 1.0, 1.0])
    with pytest.raises(InputDataError, match="does not match"):
        preprocess_soft_target(np.ones((2, 3, 3, 3)), {"shape_before_cropping": (4, 3, 3),
                               "bbox_used_for_cropping": [[0, 4], [0, 3], [0, 3]], "spacing": [1, 1, 1]},
                               (4, 3, 3), plans, config, False, "c1")


def test_soft_target_storage_and_settings(tmp_path):
    soft = np.random.default_rng(1).random((2, 3, 4, 5)).astype(np.float32)
    path = save_soft_target(tmp_path / "softTargetsTr" / "a.npz", soft)
    np.testing.assert_allclose(load_soft_target(path), soft, atol=1e-3)
    assert not list(path.parent.glob(".tmp_*"))
    block = soft_target_block(10, has_regions=False)
    assert soft_target_settings({"segcls3d": {"soft_targets": block}})["temperature"] == 10.0
    with pytest.raises(SegCls3dError, match="pseudolabel soft"):
        soft_target_settings({"labels": {}})
    with pytest.raises(InputDataError):
        load_soft_target(tmp_path / "missing.npz")
