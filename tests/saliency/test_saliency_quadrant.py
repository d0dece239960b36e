"""A constructed case with a known answer: a classifier that only sees the top-left quadrant (octant in 3D).

The classifier is our EncoderClassifier on nnU-Net's PlainConvEncoder (in-place LeakyReLU, no bias,
no norm, non-negative weights) whose input is multiplied by a top-left mask. The image holds the same
bright square in every quadrant. Whatever the method, the map must lie on the seen square: zero in
the quadrants the receptive field of the seen quadrant cannot reach, its maximum inside the seen
square. The same network without the mask spreads its map over all four squares.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from dynamic_network_architectures.building_blocks.plain_conv_encoder import PlainConvEncoder
from torch import nn

from segcls3d.model.heads import EncoderClassifier
from segcls3d.model.saliency.compute import METHODS, saliency_maps

SIZE, LOW, HIGH = 32, 4, 10  # the square spans [LOW, HIGH) of every axis in each quadrant


class TopLeftEncoder(PlainConvEncoder):
    """nnU-Net's plain encoder that zeroes everything but the top-left quadrant of its input."""

    def forward(self, x: torch.Tensor):
        keep = torch.zeros_like(x)
        keep[(slice(None), slice(None), *[slice(0, s // 2) for s in x.shape[2:]])] = 1.0
        return super().forward(x * keep)


def _classifier(dim: int, top_left_only: bool) -> EncoderClassifier:
    conv = nn.Conv2d if dim == 2 else nn.Conv3d
    encoder_class = TopLeftEncoder if top_left_only else PlainConvEncoder
    torch.manual_seed(0)
    encoder = encoder_class(1, 3, [4, 8, 8], conv, 3, [1, 2, 2], 1, conv_bias=False, norm_op=None,
                            nonlin=nn.LeakyReLU, nonlin_kwargs={"inplace": True}, return_skips=True)
    net = EncoderClassifier(encoder, 1)
    with torch.no_grad():
        for p in net.encoder.parameters():
            p.abs_()  # non-negative features of a non-negative image
        net.head.fc.weight.fill_(1.0)
    return net.eval()


def _image(dim: int) -> torch.Tensor:
    image = torch.zeros((1, 1, *[SIZE] * dim))
    for corner in np.ndindex(*[2] * dim):
        image[(0, 0, *[slice(c * SIZE // 2 + LOW, c * SIZE // 2 + HIGH) for c in corner])] = 1.0
    return image


@pytest.mark.parametrize("dim", [2, 3])
@pytest.mark.parametrize("method", METHODS)
def test_map_lies_on_the_only_quadrant_the_classifier_sees(dim, method):
    saliency = saliency_maps(_classifier(dim, top_left_only=True), _image(dim), [(0,)], method)[0, 0].numpy()
    assert saliency.shape == (SIZE,) * dim
    assert saliency.min() >= 0 and saliency.max() > 0
    peak = np.unravel_index(saliency.argmax(), saliency.shape)
    assert all(LOW - 1 <= p <= HIGH for p in peak)  # on the seen square (linear upsampling may shift it one voxel)
    unseen = [slice(None)] * dim
    for axis in range(dim):  # every voxel with one coordinate >= 3/4 SIZE is out of the seen receptive field
        far = list(unseen)
        far[axis] = slice(3 * SIZE // 4, None)
        assert saliency[tuple(far)].max() == 0.0
    top_left = saliency[tuple(slice(0, SIZE // 2) for _ in range(dim))].sum()
    assert top_left / saliency.sum() > 0.9


@pytest.mark.parametrize("method", METHODS)
def test_without_the_mask_every_square_gets_evidence(method):
    saliency = saliency_maps(_classifier(2, top_left_only=False), _image(2), [(0,)], method)[0, 0].numpy()
    centre = (LOW + HIGH) // 2
    for r in (0, SIZE // 2):
        for c in (0, SIZE // 2):
            assert saliency[r + centre - 1:r + centre + 1, c + centre - 1:c + centre + 1].max() > 0.1 * saliency.max()
