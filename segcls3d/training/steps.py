"""Pieces of nnU-Net's ``train_step`` shared by our trainers that write their own step."""
from __future__ import annotations

from typing import Sequence, Union

import torch
from nnunetv2.utilities.helpers import dummy_context
from torch import autocast, nn

Output = Union[torch.Tensor, Sequence[torch.Tensor]]


def autocast_for(device: torch.device):
    """nnU-Net's mixed precision context: autocast on CUDA, nothing elsewhere."""
    return autocast(device.type, enabled=True) if device.type == "cuda" else dummy_context()


def to_device(target, device: torch.device):
    """A tensor or a list of tensors (deep supervision targets) on ``device``."""
    if isinstance(target, (list, tuple)):
        return [t.to(device, non_blocking=True) for t in target]
    return target.to(device, non_blocking=True)


def highest_resolution(output: Output) -> torch.Tensor:
    """The full-resolution entry of a deep-supervision list (or the tensor itself)."""
    return output[0] if isinstance(output, (list, tuple)) else output


def select_samples(output: Output, index) -> Output:
    """``output[index]`` along the batch axis, for every deep-supervision scale."""
    if isinstance(output, (list, tuple)):
        return [o[index] for o in output]
    return output[index]


def backward_and_step(trainer, loss: torch.Tensor,
                      extra: Sequence[tuple[nn.Module, torch.optim.Optimizer]] = ()) -> None:
    """nnU-Net's update (grad scaler on CUDA, gradient norm clipped at 12) for the trainer's network
    and optimizer plus any ``extra`` (network, optimizer) pairs trained with the same loss."""
    pairs = [(trainer.network, trainer.optimizer), *extra]
    scaler = trainer.grad_scaler
    if scaler is not None:
        scaler.scale(loss).backward()
        for network, optimizer in pairs:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(network.parameters(), 12)
        for _, optimizer in pairs:
            scaler.step(optimizer)
        scaler.update()
    else:
        loss.backward()
        for network, optimizer in pairs:
            torch.nn.utils.clip_grad_norm_(network.parameters(), 12)
            optimizer.step()
