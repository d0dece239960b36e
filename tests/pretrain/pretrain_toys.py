"""Small pieces for the pretraining tests: an nnU-Net encoder, toy images and settings that run in seconds."""
from __future__ import annotations

import torch
from dynamic_network_architectures.building_blocks.plain_conv_encoder import PlainConvEncoder

from segcls3d.training.pretrain.settings import PretrainSettings


def tiny_encoder(dims: int = 2) -> PlainConvEncoder:
    """The encoder nnU-Net's PlainConvUNet builds: 3 stages (8, 16, 32 features), instance norm, leaky ReLU."""
    conv = torch.nn.Conv2d if dims == 2 else torch.nn.Conv3d
    norm = torch.nn.InstanceNorm2d if dims == 2 else torch.nn.InstanceNorm3d
    return PlainConvEncoder(1, 3, (8, 16, 32), conv, 3, (1, 2, 2), 1, True, norm, {"affine": True},
                            nonlin=torch.nn.LeakyReLU, nonlin_kwargs={"inplace": True}, return_skips=True)


def toy_views(seed: int = 0) -> list[torch.Tensor]:
    """Views of 8 random 16x16 images: two global (the image, its mirror) and two 8x8 local crops."""
    images = torch.randn(8, 1, 16, 16, generator=torch.Generator().manual_seed(seed))
    return [images, images.flip(-1), images[..., 4:12, 4:12], images[..., :8, 8:]]


def toy_settings(method: str, iterations: int, **changes) -> PretrainSettings:
    """Small heads and a tiny ViT; one epoch; no warmup of the learning rate."""
    values = dict(method=method, epochs=1, iterations=iterations, out_dim=32, hidden_dim=32, bottleneck_dim=8,
                  local_views=2, learning_rate=1e-3, freeze_last_layer_epochs=0, transformer_size="tiny",
                  transformer_patch=4, embedding_dim=16, warmup_fraction=0.0)
    values.update(changes)
    return PretrainSettings(**values)
