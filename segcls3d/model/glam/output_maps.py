"""GLAM's saliency maps as nnU-Net segmentation logits, and back.

nnU-Net's predictor sums the network's outputs over flips and tiles and exports them to the input's
geometry, so a GLAM network returns its fused map S as logits: ``logit(S_c)`` on the output channel of
class c, 0 on the background channel (softmax) and a very low value elsewhere. Then

* softmax: ``p_c / (p_0 + p_c) = S_c`` (:func:`saliency_from_probabilities` reads the map back), and
  the argmax is class c exactly where ``S_c > 0.5`` and no other class is higher: the thresholded
  map is nnU-Net's mask;
* regions (sigmoid): ``p_c = S_c``, and nnU-Net's mask thresholds it at 0.5.

Example:
    >>> import torch
    >>> out = OutputChannels(class_channels=(1,), background=True, num_outputs=2)
    >>> logits = saliency_to_logits(torch.tensor([[[0.2, 0.9]]]), out)
    >>> [round(float(v), 3) for v in saliency_from_probabilities(torch.softmax(logits[0], 0).numpy(), out)[0]]
    [0.2, 0.9]
"""
from __future__ import annotations

import numpy as np
import torch

from segcls3d.model.glam.config import OutputChannels

#: logit of output channels that carry no class map (softmax: weight ~1e-9 next to background)
ABSENT_LOGIT = -20.0
#: saliency values are clipped to [EPS, 1 - EPS] before the logit (|logit| <= 9.2)
EPS = 1e-4


def saliency_to_logits(saliency: torch.Tensor, outputs: OutputChannels) -> torch.Tensor:
    """(B, n_classes, *spatial) maps in [0, 1] -> (B, n_outputs, *spatial) float32 segmentation logits.

    In float32 whatever the autocast dtype: 1 - EPS is 1.0 in float16, and its logit infinite.
    """
    shape = (saliency.shape[0], outputs.num_outputs, *saliency.shape[2:])
    logits = saliency.new_full(shape, ABSENT_LOGIT, dtype=torch.float32)
    if outputs.background:
        logits[:, 0] = 0.0
    for c, channel in enumerate(outputs.class_channels):
        if channel is not None:
            logits[:, channel] = torch.logit(saliency[:, c].float().clamp(EPS, 1 - EPS))
    return logits


def saliency_from_probabilities(probabilities: np.ndarray, outputs: OutputChannels) -> np.ndarray:
    """nnU-Net's exported probabilities (n_outputs, *spatial) -> (n_classes with a map, *spatial) maps.

    Classes without an output channel (classification-only) are left out.
    """
    probabilities = np.asarray(probabilities, dtype=np.float32)
    maps = []
    for channel in outputs.class_channels:
        if channel is None:
            continue
        p = probabilities[channel]
        if outputs.background:
            p = p / np.maximum(p + probabilities[0], np.finfo(np.float32).tiny)
        maps.append(p)
    return np.stack(maps) if maps else np.zeros((0, *probabilities.shape[1:]), np.float32)


def maps_to_segmentation(maps: np.ndarray, outputs: OutputChannels, label_manager, threshold: float = 0.5
                         ) -> np.ndarray:
    """nnU-Net's mask of the maps (n_classes with a map, *spatial) thresholded at ``threshold``.

    A voxel belongs to class c where ``S_c > threshold`` (the highest such class for softmax outputs);
    the mask is nnU-Net's own conversion (``convert_probabilities_to_segmentation``: label ids, region
    order), so at 0.5 it is the mask nnU-Net's predictor writes.
    """
    channels = [c for c in outputs.class_channels if c is not None]
    scores = np.zeros((outputs.num_outputs, *maps.shape[1:]), dtype=np.float32)
    if outputs.background:
        scores[0] = threshold  # argmax: a class wins only above the threshold
        for channel, m in zip(channels, maps):
            scores[channel] = m
    else:
        for channel, m in zip(channels, maps):
            scores[channel] = m - threshold + 0.5  # nnU-Net thresholds regions at 0.5
    return np.asarray(label_manager.convert_probabilities_to_segmentation(scores))
