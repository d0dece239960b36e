"""The class score a saliency map explains, for each kind of network we train.

* ``classifier`` (``nnUNetTrainerCls``, :class:`~segcls3d.model.heads.EncoderClassifier`): the class logit;
* ``multitask`` (``nnUNetTrainerMultitask``): the head's logit, read after the forward pass (the head
  sits on a forward hook of the encoder, ``forward`` still returns segmentation logits);
* ``segmentation`` (any nnU-Net U-Net, ``nnUNetTrainerSegCls``): the class logit summed over the
  voxels and over the output channels of the class (:mod:`segcls3d.model.class_channels`).

:class:`ClassScores` wraps the network so that MONAI's CAM classes see what they expect: a module
returning ``(B, n_targets)`` logits.

Example:
    >>> import torch
    >>> seg = torch.nn.Conv2d(1, 3, 1)
    >>> scores = ClassScores(seg, "segmentation", [(1,), (1, 2)])
    >>> scores(torch.zeros(2, 1, 4, 4)).shape
    torch.Size([2, 2])
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
from torch import nn

from segcls3d.model.heads import get_head, unwrap

KINDS: tuple[str, ...] = ("classifier", "multitask", "segmentation")


def network_kind(network: nn.Module) -> str:
    """``classifier`` | ``multitask`` | ``segmentation``, as :func:`segcls3d.model.loading.load_model` tells them."""
    module = unwrap(network)
    if getattr(module, "segcls3d_kind", None) == "classifier":
        return "classifier"
    return "multitask" if get_head(module) is not None else "segmentation"


def disable_deep_supervision(network: nn.Module) -> None:
    """Make a U-Net return one output (deep supervision returns a list of resolutions)."""
    decoder = getattr(unwrap(network), "decoder", None)
    if decoder is not None and hasattr(decoder, "deep_supervision"):
        decoder.deep_supervision = False


class ClassScores(nn.Module):
    """``(B, n_targets)`` scores of ``network``: one per target, a tuple of head outputs or output channels.

    Args:
        network: the (unwrapped) network.
        kind: see :data:`KINDS`.
        targets: per target, the head output indices (classifier, multitask; usually one) or the
            segmentation output channels (segmentation) whose logits are added up.

    ``region`` (settable per call): the spatial slices of the segmentation output that are summed
    (the image without the padding the network input needed); None sums everything.
    """

    def __init__(self, network: nn.Module, kind: str, targets: Sequence[Sequence[int]]):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"unknown network kind '{kind}' (choose from {', '.join(KINDS)})")
        self.network = network
        self.kind = kind
        self.targets = [tuple(int(i) for i in t) for t in targets]
        self.region: Optional[tuple[slice, ...]] = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output = self.network(x)
        if self.kind == "classifier":
            logits = output
        elif self.kind == "multitask":
            logits = get_head(self.network).last_logits
        else:
            seg = output[0] if isinstance(output, (list, tuple)) else output
            if self.region is not None:
                seg = seg[(slice(None), slice(None), *self.region)]
            logits = seg.flatten(2).sum(-1)  # (B, n_channels): each channel's logit summed over the voxels
        return torch.stack([logits[:, list(t)].sum(1) for t in self.targets], dim=1)
