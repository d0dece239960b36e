"""Saliency maps from (network, image, class): the entry points of the saliency seam.

:class:`SaliencyModel` works on a private copy of the network (MONAI's hooks stay on the copy, the
caller's network is untouched): deep supervision off, eval mode, weights frozen (the gradient flows
from the input, so nothing accumulates in ``.grad``). It can take other weights of the same
architecture (the folds of a model) with :meth:`SaliencyModel.load_weights`.

Methods (:data:`METHODS`):

* ``gradcam``: Grad-CAM (Selvaraju et al. 2017) at the target layer, MONAI's ``GradCAM``;
* ``gradcampp``: Grad-CAM++ (Chattopadhyay et al. 2018), MONAI's ``GradCAMpp``;
* ``input_gradient``: ``max over channels |d score / d image|`` (Simonyan et al. 2014), from
  :func:`segcls3d.model.saliency.input_gradient.input_gradient`.

Every map is ``>= 0``, on the input's grid, and not normalised (see :mod:`.cam`).
"""
from __future__ import annotations

import copy
from typing import Optional, Sequence

import torch
from torch import nn

from segcls3d.model.heads import unwrap
from segcls3d.model.saliency.cam import CAM_METHODS, CamComputer
from segcls3d.model.saliency.class_scores import ClassScores, disable_deep_supervision, network_kind
from segcls3d.model.saliency.input_gradient import input_gradient
from segcls3d.model.saliency.layers import check_target_layer, default_target_layer

METHODS: tuple[str, ...] = ("gradcam", "gradcampp", "input_gradient")


class SaliencyModel:
    """Saliency maps of one network for a fixed list of targets (classes).

    Args:
        network: one of our networks (or any nnU-Net U-Net); it is copied.
        targets: per class, the head output indices (classifier, multitask) or the segmentation output
            channels (segmentation) of its score; see :class:`~.class_scores.ClassScores`.
        method: one of :data:`METHODS`.
        layer: target layer of the CAM methods (default: the deepest encoder stage).
        kind: ``classifier`` | ``multitask`` | ``segmentation`` (default: recognised from the network).

    Raises:
        ValueError: unknown method.
        SaliencyLayerError: ``layer`` is not a module of the network.
    """

    def __init__(self, network: nn.Module, targets: Sequence[Sequence[int]], method: str = "gradcam",
                 layer: Optional[str] = None, kind: Optional[str] = None):
        if method not in METHODS:
            raise ValueError(f"unknown saliency method '{method}' (choose from {', '.join(METHODS)})")
        net = copy.deepcopy(unwrap(network))
        disable_deep_supervision(net)
        net.eval()
        for parameter in net.parameters():
            parameter.requires_grad_(False)
        self.method = method
        self.kind = kind or network_kind(net)
        self.layer = layer or default_target_layer(net)
        check_target_layer(net, self.layer)
        self.scores = ClassScores(net, self.kind, targets)
        self._cam = CamComputer(self.scores, self.layer, method) if method in CAM_METHODS else None

    @property
    def n_targets(self) -> int:
        return len(self.scores.targets)

    def to(self, device: torch.device) -> "SaliencyModel":
        self.scores.to(device)
        return self

    def load_weights(self, state_dict: dict) -> None:
        """Weights of another fold (same architecture)."""
        self.scores.network.load_state_dict(state_dict)

    def class_scores(self, x: torch.Tensor, region: Optional[tuple[slice, ...]] = None) -> torch.Tensor:
        """``(B, n_targets)`` scores (logits) of ``x``."""
        self.scores.region = region
        with torch.no_grad():
            return self.scores(x).float()

    def maps(self, x: torch.Tensor, region: Optional[tuple[slice, ...]] = None) -> torch.Tensor:
        """``(B, n_targets, *spatial)`` maps for the input ``x`` ``(B, C, *spatial)``.

        ``region``: spatial slices of a segmentation output whose logits make the score (the image
        inside the padding); None: the whole output.
        """
        self.scores.region = region
        if self._cam is not None:
            return torch.cat([self._cam(x, j).float() for j in range(self.n_targets)], dim=1)
        with torch.enable_grad():
            image = x.detach().requires_grad_(True)
            scores = self.scores(image)
            grads = [input_gradient(scores[:, j], image).abs().amax(1, keepdim=True) for j in range(self.n_targets)]
        return torch.cat(grads, dim=1).float().detach()


def saliency_maps(network: nn.Module, image: torch.Tensor, targets: Sequence[Sequence[int]], method: str = "gradcam",
                  layer: Optional[str] = None) -> torch.Tensor:
    """``(B, n_targets, *spatial)`` maps of ``network`` for ``image`` ``(B, C, *spatial)`` (one-off use).

    Example:
        >>> import torch
        >>> from segcls3d.model.heads import EncoderClassifier
        >>> from dynamic_network_architectures.building_blocks.plain_conv_encoder import PlainConvEncoder
        >>> enc = PlainConvEncoder(1, 2, [4, 8], torch.nn.Conv2d, 3, [1, 2], 1, return_skips=True)
        >>> saliency_maps(EncoderClassifier(enc, 2), torch.rand(1, 1, 16, 16), [(0,), (1,)]).shape
        torch.Size([1, 2, 16, 16])
    """
    model = SaliencyModel(network, targets, method, layer)
    return model.to(image.device).maps(image)
