"""Files of a pretraining run, written atomically, read back with weights-only loading.

``checkpoint_latest.pth`` (after every epoch) holds everything a rerun needs to resume: model (student,
teacher, heads, DINO's center), optimizer, learning-rate schedule, grad scaler, epoch and log.
``checkpoint_final.pth`` holds only the exported encoder, as ``network_weights`` with ``encoder.`` keys and a
``trainer_name``, so that :func:`segcls3d.model.encoder_weights.read_encoder_state` (``segcls3d transfer``)
reads it like any nnU-Net checkpoint. Both say which plans/configuration the encoder belongs to.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import torch
from torch import nn

from segcls3d.errors import ModelFolderError
from segcls3d.io.atomic import atomic_path
from segcls3d.model.checkpoint import read_checkpoint
from segcls3d.model.encoder_weights import ENCODER_PREFIX
from segcls3d.training.pretrain.settings import PretrainSettings

CHECKPOINT_LATEST = "checkpoint_latest.pth"
CHECKPOINT_FINAL = "checkpoint_final.pth"
PRETRAIN_KEY = "segcls3d_pretrain"


def trainer_name(settings: PretrainSettings) -> str:
    """What the checkpoint names as its trainer (no nnU-Net trainer: a pretraining run)."""
    return f"segcls3d_pretrain_{settings.method}"


def encoder_weights(encoder: nn.Module) -> dict[str, torch.Tensor]:
    """The encoder's state with ``encoder.`` keys, as in the networks of our trainers (on the CPU)."""
    return {ENCODER_PREFIX + k: v.detach().cpu().clone() for k, v in encoder.state_dict().items()}


def save(path: Path, content: dict[str, Any]) -> Path:
    """``torch.save`` to a temporary name next to ``path``, then rename."""
    with atomic_path(path) as tmp:
        torch.save(content, tmp)
    return path


def latest_content(model: nn.Module, optimizer, scheduler, scaler, epoch: int, log: list[dict],
                   settings: PretrainSettings, origin: dict[str, str]) -> dict[str, Any]:
    """Everything to resume after ``epoch`` epochs (plus the exported encoder, so the file is also usable)."""
    return {
        "network_weights": encoder_weights(model.exported_encoder()),
        "trainer_name": trainer_name(settings),
        "init_args": origin,
        PRETRAIN_KEY: {"settings": settings.to_dict(), "epochs_done": epoch, "log": log},
        "model_state": model.state_dict(),
        "optimizer_state": optimizer.state_dict(),
        "scheduler_state": scheduler.state_dict(),
        "grad_scaler_state": scaler.state_dict() if scaler is not None else None,
    }


def final_content(model: nn.Module, settings: PretrainSettings, origin: dict[str, str], log: list[dict]) -> dict:
    """The exported encoder and what produced it."""
    return {"network_weights": encoder_weights(model.exported_encoder()), "trainer_name": trainer_name(settings),
            "init_args": origin, PRETRAIN_KEY: {"settings": settings.to_dict(), "epochs_done": settings.epochs,
                                                "log": log}}


def read_run(path: Path, settings: PretrainSettings, origin: dict[str, str]) -> Optional[dict[str, Any]]:
    """The checkpoint at ``path`` if it exists, after checking it is this run (same settings, plans, data).

    Raises:
        ModelFolderError: it belongs to another run (rerun with --overwrite to start afresh) or is unreadable.
    """
    if not path.is_file():
        return None
    checkpoint = read_checkpoint(path)
    info = checkpoint.get(PRETRAIN_KEY)
    if not isinstance(info, dict) or "settings" not in info:
        raise ModelFolderError(f"{path}: not a segcls3d pretrain checkpoint; choose another -o or use --overwrite")
    differences = settings.differences(PretrainSettings.from_dict(info["settings"]))
    differences += [k for k, v in origin.items() if checkpoint.get("init_args", {}).get(k) != v]
    if differences:
        raise ModelFolderError(f"{path}: a run with other settings ({', '.join(differences)}) is there; "
                               "rerun with --overwrite to start afresh, or choose another -o")
    return checkpoint
