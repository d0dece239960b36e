"""Classification heads on nnU-Net networks, without changing what ``forward`` returns.

nnU-Net's predictor adds up flipped outputs of ``network(x)``, so a network must keep returning
segmentation logits. The multitask head therefore reads the encoder's bottleneck through a forward
hook and keeps its own last output in ``head.last_logits``; the trainer and our predictor read it
after each forward. Stock ``nnUNetv2_predict`` simply never looks at it.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import nn

HEAD_ATTRIBUTE = "segcls3d_head"


class ClassificationHead(nn.Module):
    """Global average pooling + linear layer on a feature map: (B, C, *spatial) -> (B, n_classes)."""

    def __init__(self, in_channels: int, num_classes: int, dropout: float = 0.0):
        super().__init__()
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc = nn.Linear(in_channels, num_classes)
        self.last_logits: Optional[torch.Tensor] = None
        self.record: Optional[list[torch.Tensor]] = None

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        pooled = torch.flatten(features, 2).mean(-1)
        return self.fc(self.dropout(pooled))

    def on_encoder_output(self, module: nn.Module, inputs, output) -> None:
        """Forward hook for the encoder: run the head on the deepest feature map."""
        bottleneck = output[-1] if isinstance(output, (list, tuple)) else output
        self.last_logits = self(bottleneck)
        if self.record is not None:
            self.record.append(self.last_logits.detach())


def bottleneck_channels(network: nn.Module) -> int:
    """Number of channels of the deepest encoder stage of a dynamic_network_architectures UNet."""
    encoder = getattr(network, "encoder", None)
    channels = getattr(encoder, "output_channels", None)
    if not channels:
        raise TypeError(
            f"{type(network).__name__} has no 'encoder.output_channels'; classification heads need one of "
            "nnU-Net's UNets (PlainConvUNet, ResidualEncoderUNet)"
        )
    return int(channels[-1])


def attach_multitask_head(network: nn.Module, num_classes: int, dropout: float = 0.0) -> nn.Module:
    """Add a head on the bottleneck of ``network`` (registered as a submodule, so it is checkpointed)."""
    head = ClassificationHead(bottleneck_channels(network), num_classes, dropout)
    network.add_module(HEAD_ATTRIBUTE, head)
    network.encoder.register_forward_hook(head.on_encoder_output)
    return network


def get_head(network: nn.Module) -> Optional[ClassificationHead]:
    """The multitask head of a (possibly compiled/DDP-wrapped) network, or None."""
    module = unwrap(network)
    return getattr(module, HEAD_ATTRIBUTE, None)


def unwrap(network: nn.Module) -> nn.Module:
    """Strip DDP and torch.compile wrappers."""
    module = getattr(network, "module", network)
    return getattr(module, "_orig_mod", module)


class EncoderClassifier(nn.Module):
    """Plain classifier with nnU-Net's encoder for the plan: encoder -> global pooling -> linear.

    ``forward`` returns class logits (B, n_classes).
    """

    segcls3d_kind = "classifier"

    def __init__(self, encoder: nn.Module, num_classes: int, dropout: float = 0.0):
        super().__init__()
        self.encoder = encoder
        self.head = ClassificationHead(int(encoder.output_channels[-1]), num_classes, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = self.encoder(x)
        return self.head(skips[-1] if isinstance(skips, (list, tuple)) else skips)
