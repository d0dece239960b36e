"""Whole-image classifier input: fit_scale, fit_to_canvas, spatial_for_patch, classify_whole_image."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from segcls3d.errors import InputDataError
from segcls3d.model.whole_image import classify_whole_image, fit_scale, fit_to_canvas, spatial_for_patch


@pytest.mark.parametrize("shape, patch, expected", [
    ((40, 20, 10), (20, 20, 20), 0.5),
    ((10, 12), (32, 32), 1.0),
    ((64, 100), (32, 32), 0.32),
    ((32, 32, 32), (32, 32, 32), 1.0),
])
def test_fit_scale(shape, patch, expected):
    assert fit_scale(shape, patch) == pytest.approx(expected)


def test_large_3d_image_is_shrunk_keeping_aspect_ratio_and_centred():
    image = torch.ones(2, 40, 20, 12)
    image[1] *= 3.0
    seg = torch.zeros(1, 40, 20, 12, dtype=torch.int16)
    seg[:, :20] = 1
    seg[:, 20:, :, 6:] = 2
    out, seg_out = fit_to_canvas(image, (20, 20, 20), seg=seg)
    assert out.shape == (2, 20, 20, 20) and out.dtype == torch.float32
    assert seg_out.shape == (1, 20, 20, 20) and seg_out.dtype == torch.int16
    # scale 0.5: content (20, 10, 6), centred at y 5:15, x 7:13
    content = (slice(None), slice(0, 20), slice(5, 15), slice(7, 13))
    assert torch.allclose(out[0][content[1:]], torch.ones(20, 10, 6))
    assert torch.allclose(out[1][content[1:]], torch.full((20, 10, 6), 3.0))
    mask = torch.zeros(20, 20, 20, dtype=torch.bool)
    mask[content[1:]] = True
    assert out[:, ~mask].abs().max() == 0
    # nearest keeps exactly the labels, at the scaled positions
    assert set(torch.unique(seg_out).tolist()) == {0, 1, 2}
    assert (seg_out[0, 0:10, 5:15, 7:13] == 1).all()
    assert (seg_out[0, 10:20, 5:15, 7:10] == 0).all()
    assert (seg_out[0, 10:20, 5:15, 10:13] == 2).all()
    assert (seg_out[0][~mask] == 0).all()


def test_large_2d_image_bilinear_and_aspect_ratio():
    image = torch.arange(64 * 100, dtype=torch.float32).reshape(1, 64, 100)
    out, seg_out = fit_to_canvas(image, (32, 32))
    assert seg_out is None
    assert out.shape == (1, 32, 32)
    # scale 0.32 -> (20, 32): ratio 64/100 kept to the nearest voxel, centred on rows 6:26
    nonzero_rows = torch.nonzero(out[0].abs().sum(1)).flatten()
    assert nonzero_rows.min().item() == 6 and nonzero_rows.max().item() == 25
    assert out[0, 6:26].min() > 0
    # bilinear of a linear ramp stays monotonic along x
    assert (out[0, 10, 1:] > out[0, 10, :-1]).all()


def test_small_image_is_centred_unchanged():
    torch.manual_seed(0)
    image = torch.randn(1, 10, 12)
    seg = torch.randint(0, 4, (1, 10, 12))
    out, seg_out = fit_to_canvas(image, (32, 32), seg=seg, pad_value_seg=-1)
    assert torch.equal(out[:, 11:21, 10:22], image)
    assert torch.equal(seg_out[:, 11:21, 10:22], seg)
    assert out.abs().sum() == image.abs().sum()
    assert (seg_out == -1).sum() == 32 * 32 - 10 * 12


def test_canvas_larger_than_patch():
    out, _ = fit_to_canvas(torch.ones(1, 64, 64), (32, 32), canvas=(40, 40))
    assert out.shape == (1, 40, 40)
    assert torch.allclose(out[0, 4:36, 4:36], torch.ones(32, 32))
    assert out.sum() == pytest.approx(32 * 32)


def test_spatial_for_patch():
    data = torch.randn(2, 1, 16, 12)
    assert torch.equal(spatial_for_patch(data, (16, 12)), data[:, 0])
    volume = torch.randn(2, 5, 16, 12)
    assert spatial_for_patch(volume, (4, 8, 8)) is volume
    with pytest.raises(InputDataError, match="case 'vol7' has 5 slices but the configuration is 2d"):
        spatial_for_patch(volume, (16, 12), case_id="vol7")
    with pytest.raises(InputDataError, match=r"case 'x'.*does not fit patch \(4, 8, 8\)"):
        spatial_for_patch(torch.randn(2, 16, 12), (4, 8, 8), case_id="x")


class _MeanThenLinear(nn.Module):
    """Logits = a * mean(x * ramp along the last axis) + b: changes under flipping the last axis."""

    def __init__(self, n_classes: int = 2):
        super().__init__()
        self.scale = torch.tensor([1.0, -2.0][:n_classes])

    def forward(self, x):
        ramp = torch.linspace(0, 1, x.shape[-1])
        return (x * ramp).flatten(1).mean(1, keepdim=True) * self.scale


def test_classify_whole_image_with_mirroring():
    data = np.zeros((1, 1, 8, 8), np.float32)
    data[0, 0, :, 6:] = 4.0  # bright on the right, 2d single slice
    net = _MeanThenLinear()
    x = torch.zeros(1, 1, 16, 16)
    x[0, 0, 4:12, 4:12] = torch.from_numpy(data[0, 0])
    expected_plain = torch.sigmoid(net(x))[0]
    expected_mirror = (torch.sigmoid(net(x)) + torch.sigmoid(net(torch.flip(x, (3,)))))[0] / 2
    probs = classify_whole_image(net, data, (16, 16), torch.device("cpu"))
    assert probs.shape == (2,)
    np.testing.assert_allclose(probs, expected_plain.numpy(), rtol=1e-6)
    probs_m = classify_whole_image(net, torch.from_numpy(data), (16, 16), torch.device("cpu"), mirror_axes=(1,))
    np.testing.assert_allclose(probs_m, expected_mirror.numpy(), rtol=1e-6)
    assert not np.allclose(probs, probs_m)
