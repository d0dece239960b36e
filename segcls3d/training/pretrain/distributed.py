"""One process per GPU with torch.distributed, set up from the usual ``torchrun`` variables.

``torchrun --nproc_per_node=N $(which segcls3d) pretrain ...`` sets ``WORLD_SIZE``, ``RANK`` and
``LOCAL_RANK``; each process then samples its own batches (as nnU-Net's DDP training does), gradients are
averaged by ``DistributedDataParallel``, and only rank 0 writes files. Without those variables the run is a
single process on ``--device``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from segcls3d.model.loading import resolve_device


@dataclass(frozen=True)
class Processes:
    """This process's place in the run."""

    rank: int
    world_size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1


def start_processes(device: str = "auto") -> Processes:
    """Join the process group when ``WORLD_SIZE`` > 1 (NCCL on GPUs, else gloo); otherwise one process."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Processes(0, 1, resolve_device(device))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
        chosen = torch.device("cuda", local_rank)
    else:
        chosen = torch.device("cpu")
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if chosen.type == "cuda" else "gloo")
    return Processes(dist.get_rank(), dist.get_world_size(), chosen)


def wrap(model: nn.Module, processes: Processes) -> nn.Module:
    """``model`` in DistributedDataParallel when several processes train it."""
    if not processes.is_distributed:
        return model
    ids = [processes.device.index] if processes.device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)


def barrier(processes: Processes) -> None:
    if processes.is_distributed:
        dist.barrier()


def stop_processes(processes: Processes) -> None:
    if processes.is_distributed and dist.is_initialized():
        dist.destroy_process_group()
