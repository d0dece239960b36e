"""Build a GLAM network from nnU-Net's plans (the trainer's ``build_network_architecture`` and the predictor)."""
from __future__ import annotations

from typing import Sequence

from nnunetv2.utilities.get_network_from_plans import get_network_from_plans

from segcls3d.model.builders import num_image_classes, plan_network
from segcls3d.model.glam.config import GLAMConfig, read_glam_config
from segcls3d.model.glam.global_module import GlobalModule
from segcls3d.model.glam.local_module import LocalModule, local_arch_kwargs, total_stride
from segcls3d.model.glam.network import GLAMNetwork

MIN_LOCAL_EDGE = 8


def local_patch_size(patch_size: Sequence[int], fraction: float, stride: Sequence[int]) -> list[int]:
    """Edge ``fraction`` of the plan's patch (at least 8 voxels), rounded up to the local stride, within the patch.

    >>> local_patch_size([512, 512], 0.25, [4, 4]), local_patch_size([24, 24, 24], 0.25, [4, 4, 4])
    ([128, 128], [8, 8, 8])
    """
    out = []
    for p, s in zip(patch_size, stride):
        edge = max(int(round(p * fraction)), MIN_LOCAL_EDGE)
        out.append(int(min(p, -(-edge // s) * s)))
    return out


def build_glam_network(configuration_manager, num_input_channels: int, num_output_channels: int) -> GLAMNetwork:
    """Global module on the plan's encoder, local module on the plan's encoder with capped strides.

    Raises:
        ModelFolderError: the plans hold no GLAM settings (see :func:`read_glam_config`).
    """
    config, outputs = read_glam_config(configuration_manager.configuration)
    if outputs.num_outputs != num_output_channels:
        raise ValueError(f"GLAM plans record {outputs.num_outputs} outputs, the network is asked for "
                         f"{num_output_channels}")
    num_classes = num_image_classes(configuration_manager)
    global_encoder = plan_network(configuration_manager, num_input_channels, 2, enable_deep_supervision=False).encoder
    local_encoder = get_network_from_plans(
        configuration_manager.network_arch_class_name,
        local_arch_kwargs(configuration_manager.network_arch_init_kwargs, config.local_stride),
        configuration_manager.network_arch_init_kwargs_req_import,
        num_input_channels, 2, allow_init=True, deep_supervision=False).encoder
    glob = GlobalModule(global_encoder, num_classes, config.scales, config.min_saliency_stride, config.scale_weights,
                        config.global_top_t)
    local = LocalModule(local_encoder, num_classes, config.local_top_t)
    patch = local_patch_size(configuration_manager.patch_size, config.local_patch_fraction,
                             total_stride(local_encoder))
    return GLAMNetwork(glob, local, config, outputs, patch)


__all__ = ["GLAMConfig", "build_glam_network", "local_patch_size"]
