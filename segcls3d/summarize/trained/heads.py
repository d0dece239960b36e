"""The trained functions g of Hooper et al. (2023), Appendix A2.2, as small torch modules.

Every head maps a tensor (B, C, *grid) to class logits (B, n_classes); a sigmoid per class gives
the image-level probabilities (multi-label; for one binary class the same as the paper's softmax
over two scores). ``len(grid)`` (2 or 3) picks 2D or 3D layers. Every head starts with a fixed
per-channel standardization (:mod:`segcls3d.summarize.trained.standardize`).

- ``fc``: one linear layer on the flattened, grid-pooled probability maps.
- ``gap_fc``: per-class global average (the grid is 1 x 1 x 1) + one linear layer.
- ``cnn``: ``monai.networks.nets.Classifier`` (a compact residual CNN: 3 residual units with
  8/16/32 channels, stride 2 each, then a linear layer), standing in for the paper's
  SqueezeNet/ResNet50 on our small grids.
- ``embedding_simple``: global average pooling + 3 fully connected layers (64, 32, n_classes).
- ``embedding_complex``: the head of Mehta et al. (the paper's [20]): 3 x (conv 3, 16 channels, BN,
  ReLU, max-pool 2) + 2 x (linear 100, BN, ReLU, dropout 0.25) + linear; needs a grid >= 8.
"""
from __future__ import annotations

import math
from typing import Sequence

MAP_METHODS = ("fc", "gap_fc", "cnn")
EMBEDDING_METHODS = ("embedding_simple", "embedding_complex")
CNN_CHANNELS = (8, 16, 32)
SIMPLE_HIDDEN = (64, 32)
COMPLEX_CHANNELS = 16
COMPLEX_HIDDEN = 100
COMPLEX_DROPOUT = 0.25


def build_head(method: str, in_channels: int, grid: Sequence[int], n_classes: int):
    """Build the untrained head of ``method`` for inputs (B, in_channels, *grid).

    The module is ``nn.Sequential(ChannelStandardize, head)``; set the standardization with
    ``module[0].fit(x_train)`` before training.

    Raises:
        ValueError: unknown method, grid of the wrong dimension, or a grid too small for the method.
    """
    from torch import nn

    from segcls3d.summarize.trained.standardize import ChannelStandardize  # imports torch: only when a head is built

    return nn.Sequential(ChannelStandardize(in_channels), _head(method, in_channels, grid, n_classes))


def _head(method: str, in_channels: int, grid: Sequence[int], n_classes: int):
    from torch import nn

    grid = tuple(int(g) for g in grid)
    if len(grid) not in (2, 3):
        raise ValueError(f"grid must have 2 or 3 sizes, got {grid}")
    dims = len(grid)
    if method in ("fc", "gap_fc"):
        if method == "gap_fc" and any(g != 1 for g in grid):
            raise ValueError(f"gap_fc pools each class to one value; its grid must be all ones, got {grid}")
        return nn.Sequential(nn.Flatten(), nn.Linear(in_channels * math.prod(grid), n_classes))
    if method == "cnn":
        from monai.networks.nets import Classifier

        return Classifier(in_shape=(in_channels, *grid), classes=n_classes, channels=CNN_CHANNELS,
                          strides=(2,) * len(CNN_CHANNELS), num_res_units=1)
    if method == "embedding_simple":
        pool = nn.AdaptiveAvgPool3d(1) if dims == 3 else nn.AdaptiveAvgPool2d(1)
        h1, h2 = SIMPLE_HIDDEN
        return nn.Sequential(pool, nn.Flatten(), nn.Linear(in_channels, h1), nn.ReLU(), nn.Linear(h1, h2), nn.ReLU(),
                             nn.Linear(h2, n_classes))
    if method == "embedding_complex":
        if min(grid) < 8:
            raise ValueError(f"embedding_complex max-pools three times; it needs a grid >= 8, got {grid}")
        conv, norm, pool = (nn.Conv3d, nn.BatchNorm3d, nn.MaxPool3d) if dims == 3 else \
            (nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d)
        layers: list[nn.Module] = []
        channels = in_channels
        for _ in range(3):
            layers += [conv(channels, COMPLEX_CHANNELS, 3, padding=1), norm(COMPLEX_CHANNELS), nn.ReLU(), pool(2)]
            channels = COMPLEX_CHANNELS
        flat = COMPLEX_CHANNELS * math.prod(g // 8 for g in grid)
        layers.append(nn.Flatten())
        for size_in in (flat, COMPLEX_HIDDEN):
            layers += [nn.Linear(size_in, COMPLEX_HIDDEN), nn.BatchNorm1d(COMPLEX_HIDDEN), nn.ReLU(),
                       nn.Dropout(COMPLEX_DROPOUT)]
        layers.append(nn.Linear(COMPLEX_HIDDEN, n_classes))
        return nn.Sequential(*layers)
    raise ValueError(f"unknown method {method!r}; choose one of {MAP_METHODS + EMBEDDING_METHODS}")
