"""MultiMix's network (Haque et al. 2021): the plan's U-Net, a class head and the saliency bridge.

Used by ``nnUNetTrainerMultiMix`` (training) and by the predictor (``build_network_architecture``),
so it lives below both.
"""
from segcls3d.model.multimix.network import SaliencyBridgeUNet, build_multimix_network, has_saliency_bridge

__all__ = ["SaliencyBridgeUNet", "build_multimix_network", "has_saliency_bridge"]
