"""Networks of our trainers, built from nnU-Net's plans (used by training and by the predictor).

Both start from the plan's own network (``get_network_from_plans``, as ``nnUNetTrainer`` builds it):
the classifier keeps only its encoder, the multitask network keeps all of it and gains a head.
"""
from __future__ import annotations

from nnunetv2.utilities.get_network_from_plans import get_network_from_plans
from torch import nn

from segcls3d.model.heads import DEFAULT_POOLING, EncoderClassifier, attach_multitask_head
from segcls3d.model.plans_classes import class_names_from_configuration


def plan_network(configuration_manager, num_input_channels: int, num_output_channels: int,
                 enable_deep_supervision: bool) -> nn.Module:
    """The network of the plan, exactly as ``nnUNetTrainer.build_network_architecture`` makes it."""
    return get_network_from_plans(
        configuration_manager.network_arch_class_name,
        configuration_manager.network_arch_init_kwargs,
        configuration_manager.network_arch_init_kwargs_req_import,
        num_input_channels, num_output_channels, allow_init=True, deep_supervision=enable_deep_supervision,
    )


def num_image_classes(configuration_manager) -> int:
    """Number of image-level classes recorded in the plans (see ``plans_classes.store_classes``)."""
    return len(class_names_from_configuration(configuration_manager.configuration))


def build_classifier(configuration_manager, num_input_channels: int,
                     pooling: str = DEFAULT_POOLING) -> EncoderClassifier:
    """The plan's encoder with global pooling (``heads.POOLINGS``) and a linear layer per class."""
    unet = plan_network(configuration_manager, num_input_channels, 2, enable_deep_supervision=False)
    return EncoderClassifier(unet.encoder, num_image_classes(configuration_manager), pooling=pooling)


def build_multitask_network(configuration_manager, num_input_channels: int, num_output_channels: int,
                            enable_deep_supervision: bool = True, pooling: str = DEFAULT_POOLING) -> nn.Module:
    """The plan's network with a pooling + linear head on the encoder's deepest stage (Y-Net)."""
    network = plan_network(configuration_manager, num_input_channels, num_output_channels, enable_deep_supervision)
    return attach_multitask_head(network, num_image_classes(configuration_manager), pooling=pooling)
