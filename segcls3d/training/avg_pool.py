"""The heads' earlier pooling, the spatial average alone, for reproducing runs made before the average +
maximum default (:class:`segcls3d.model.heads.ClassificationHead`)."""
from __future__ import annotations

from segcls3d.model.builders import build_classifier, build_multitask_network
from segcls3d.training.cls import nnUNetTrainerCls
from segcls3d.training.multitask import nnUNetTrainerMultitask


class nnUNetTrainerClsAvgPool(nnUNetTrainerCls):
    """The classification baseline with a global-average-pooling head."""

    @staticmethod
    def build_network_architecture(plans_manager, configuration_manager, num_input_channels: int,
                                   num_output_channels: int, enable_deep_supervision: bool = True):
        return build_classifier(configuration_manager, num_input_channels, pooling="avg")


class nnUNetTrainerMultitaskAvgPool(nnUNetTrainerMultitask):
    """Multitask with a global-average-pooling head."""

    @staticmethod
    def build_network_architecture(plans_manager, configuration_manager, num_input_channels: int,
                                   num_output_channels: int, enable_deep_supervision: bool = True):
        return build_multitask_network(configuration_manager, num_input_channels, num_output_channels,
                                       enable_deep_supervision, pooling="avg")
