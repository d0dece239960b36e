"""GLAM (Liu et al.): weakly-supervised high-resolution saliency from image-level labels, on nnU-Net encoders."""
from segcls3d.model.glam.builder import build_glam_network
from segcls3d.model.glam.config import GLAMConfig, OutputChannels, read_glam_config, store_glam_config
from segcls3d.model.glam.network import STAGES, GLAMNetwork, GLAMOutput, GlobalClassifier
from segcls3d.model.glam.output_maps import saliency_from_probabilities, saliency_to_logits
from segcls3d.model.glam.pooling import top_t_pool

__all__ = ["GLAMConfig", "GLAMNetwork", "GLAMOutput", "GlobalClassifier", "OutputChannels", "STAGES",
           "build_glam_network", "read_glam_config", "saliency_from_probabilities", "saliency_to_logits",
           "store_glam_config", "top_t_pool"]
