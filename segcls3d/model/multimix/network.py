"""The MultiMix network: the plan's U-Net, a class head on the bottleneck, and the saliency bridge.

``forward(x)`` returns segmentation logits only (a list with deep supervision), so nnU-Net's
predictor and stock ``nnUNetv2_predict`` use it like any U-Net. Inside the forward pass:

1. the encoder runs with autograd on, even under ``no_grad``/``inference_mode`` (validation, prediction),
   on ``x`` itself when it requires grad (a caller's own input gradient then flows through), else on a copy;
2. the class head reads the bottleneck (the multitask head's forward hook: ``head.last_logits``,
   recorded per call by :class:`segcls3d.model.head_predictor.HeadRecordingPredictor`);
3. the class saliency ``|d logits / d x|`` (:func:`bridge.class_saliency`) is joined with ``x``,
   down-sampled to the first decoder stage and concatenated with that stage's inputs;
4. the decoder runs in the caller's grad mode.

The saliency is differentiable only when training with ``saliency_create_graph = True`` (double
backpropagation: the segmentation loss then also trains the head through the maps); by default it is
a constant of the graph, as in the authors' code. Compile stays off (the head's hook keeps state).
"""
from __future__ import annotations

import torch
from torch import nn

from segcls3d.model.builders import num_image_classes, plan_network
from segcls3d.model.heads import attach_multitask_head, get_head, unwrap
from segcls3d.model.multimix.bridge import bridge_features, class_saliency, widen_first_decoder_stage, with_bridge


class SaliencyBridgeUNet(nn.Module):
    """nnU-Net's U-Net (its ``encoder`` and ``decoder``) + class head + MultiMix's saliency bridge."""

    def __init__(self, unet: nn.Module, num_input_channels: int, num_classes: int):
        super().__init__()
        self.encoder = unet.encoder
        self.decoder = unet.decoder
        attach_multitask_head(self, num_classes)
        self.bridge_channels = int(num_input_channels) + int(num_classes)
        widen_first_decoder_stage(self.decoder, self.bridge_channels, getattr(unet, "initialize", None))
        self.saliency_create_graph = False

    def encode(self, x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """(encoder skips, class saliency (B, n_classes, *x.shape[2:])) of ``x``; sets the head's ``last_logits``.

        Outside training (grad disabled) the results are detached, so callers in ``inference_mode`` get
        plain tensors and no graph is kept.
        """
        training = torch.is_grad_enabled()
        with torch.inference_mode(False), torch.enable_grad():
            image = x if x.requires_grad else (x.clone() if x.is_inference() else x).detach().requires_grad_(True)
            skips = self.encoder(image)
            head = get_head(self)
            saliency = class_saliency(head.last_logits, image, training and self.saliency_create_graph)
        if not training:
            skips = [s.detach() for s in skips]
            head.last_logits = head.last_logits.detach()
        if not (training and self.saliency_create_graph):
            saliency = saliency.detach()
        return skips, saliency

    def forward(self, x: torch.Tensor):
        skips, saliency = self.encode(x)
        bridge = bridge_features(x, saliency, skips[-2].shape[2:])
        return self.decoder(with_bridge(skips, bridge))


def has_saliency_bridge(network: nn.Module) -> bool:
    """Whether ``network`` (possibly wrapped) is a :class:`SaliencyBridgeUNet`."""
    return isinstance(unwrap(network), SaliencyBridgeUNet)


def build_multimix_network(configuration_manager, num_input_channels: int, num_output_channels: int,
                           enable_deep_supervision: bool = True) -> SaliencyBridgeUNet:
    """The plan's network (as nnU-Net builds it) turned into a :class:`SaliencyBridgeUNet`."""
    unet = plan_network(configuration_manager, num_input_channels, num_output_channels, enable_deep_supervision)
    return SaliencyBridgeUNet(unet, num_input_channels, num_image_classes(configuration_manager))
