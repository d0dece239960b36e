"""The layer Grad-CAM reads, chosen by name; by default the deepest whole encoder stage.

nnU-Net's U-Nets (``PlainConvUNet``, ``ResidualEncoderUNet``) and our classifier all keep the plan's
encoder under ``encoder`` with its stages in ``encoder.stages.<i>``. A whole stage is hooked, never
a single conv or norm layer: nnU-Net's in-place LeakyReLU modifies those layers' outputs, which
breaks PyTorch's full backward hooks. The deepest stage is the one the classification heads read
(Grad-CAM's "last convolutional layer"). Names are those of the unwrapped network (torch.compile
prefixes ``_orig_mod.``; DDP ``module.``).

Example:
    >>> from torch import nn
    >>> net = nn.Module(); net.encoder = nn.Module(); net.encoder.stages = nn.Sequential(nn.Identity(), nn.Identity())
    >>> default_target_layer(net), encoder_stage_names(net)
    ('encoder.stages.1', ['encoder.stages.0', 'encoder.stages.1'])
"""
from __future__ import annotations

from torch import nn

from segcls3d.errors import SegCls3dError
from segcls3d.model.heads import unwrap

STAGES_PREFIX = "encoder.stages."


class SaliencyLayerError(SegCls3dError):
    """The target layer of a saliency map does not exist in the network."""


def encoder_stage_names(network: nn.Module) -> list[str]:
    """Names of the encoder's stages (``encoder.stages.0`` ...), shallowest first."""
    names = [name for name, _ in unwrap(network).named_modules()
             if name.startswith(STAGES_PREFIX) and name[len(STAGES_PREFIX):].isdigit()]
    return sorted(names, key=lambda n: int(n[len(STAGES_PREFIX):]))


def default_target_layer(network: nn.Module) -> str:
    """The deepest encoder stage.

    Raises:
        SaliencyLayerError: the network has no ``encoder.stages`` (pass a layer name).
    """
    stages = encoder_stage_names(network)
    if not stages:
        raise SaliencyLayerError(f"{type(unwrap(network)).__name__} has no '{STAGES_PREFIX}<i>' modules: name the "
                                 "target layer (--layer), a whole block whose output the score depends on")
    return stages[-1]


def check_target_layer(network: nn.Module, name: str) -> nn.Module:
    """The module called ``name`` in the (unwrapped) network.

    Raises:
        SaliencyLayerError: no such module (the message lists the encoder stages).
    """
    modules = dict(unwrap(network).named_modules())
    if name in ("", None) or name not in modules:
        raise SaliencyLayerError(f"layer '{name}' not found in {type(unwrap(network)).__name__}; encoder stages: "
                                 f"{', '.join(encoder_stage_names(network)) or 'none'}")
    return modules[name]
