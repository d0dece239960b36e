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
POOLINGS = ("avgmax", "avg")
DEFAULT_POOLING = "avgmax"
MAX_WEIGHT = "max_weight"


class ClassificationHead(nn.Module):
    """Global pooling + linear layer on a feature map: (B, C, *spatial) -> (B, n_classes).

    The pooling is each channel's spatial average plus its maximum (``"avgmax"``, the default) or the
    average alone (``"avg"``). nnU-Net's encoders end in instance normalisation, which removes each
    channel's spatial mean per image, so the average of a channel hardly depends on the image and an
    average-only head learns slowly; the maximum keeps a small, bright finding. The choice is the buffer
    ``max_weight`` (1 or 0), saved with the weights; a checkpoint written before the buffer existed was
    trained with the average alone and loads as ``"avg"``.
    """

    def __init__(self, in_channels: int, num_classes: int, dropout: float = 0.0, pooling: str = DEFAULT_POOLING):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling '{pooling}' (choose from {', '.join(POOLINGS)})")
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc = nn.Linear(in_channels, num_classes)
        self.register_buffer(MAX_WEIGHT, torch.tensor(1.0 if pooling == "avgmax" else 0.0))
        self.last_logits: Optional[torch.Tensor] = None
        self.record: Optional[list[torch.Tensor]] = None

    @property
    def pooling(self) -> str:
        return "avgmax" if float(self.max_weight) != 0.0 else "avg"

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        flat = torch.flatten(features, 2)
        pooled = flat.mean(-1)
        if self.pooling == "avgmax":
            pooled = pooled + self.max_weight.to(flat.dtype) * flat.amax(-1)
        return self.fc(self.dropout(pooled))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """A state dict without ``max_weight`` (saved before it existed) is an average-pooling head."""
        state_dict.setdefault(prefix + MAX_WEIGHT, torch.tensor(0.0))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

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


def attach_multitask_head(network: nn.Module, num_classes: int, dropout: float = 0.0,
                          pooling: str = DEFAULT_POOLING) -> nn.Module:
    """Add a head on the bottleneck of ``network`` (registered as a submodule, so it is checkpointed)."""
    head = ClassificationHead(bottleneck_channels(network), num_classes, dropout, pooling)
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
    """Plain classifier with nnU-Net's encoder for the plan: encoder -> :class:`ClassificationHead`.

    ``forward`` returns class logits (B, n_classes).
    """

    segcls3d_kind = "classifier"

    def __init__(self, encoder: nn.Module, num_classes: int, dropout: float = 0.0, pooling: str = DEFAULT_POOLING):
        super().__init__()
        self.encoder = encoder
        self.head = ClassificationHead(int(encoder.output_channels[-1]), num_classes, dropout, pooling)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = self.encoder(x)
        return self.head(skips[-1] if isinstance(skips, (list, tuple)) else skips)
