"""Make our trainers visible to nnU-Net (``nnUNet_extTrainer``) for training and prediction."""
from __future__ import annotations

import os
from pathlib import Path

from segcls3d.errors import SegCls3dError

TRAINERS_DIR = Path(__file__).resolve().parents[1] / "trainers"


def ensure_ext_trainer_path() -> str:
    """Add segcls3d's ``trainers/`` folder to ``nnUNet_extTrainer`` (set it if unset); return the value."""
    if not TRAINERS_DIR.is_dir():
        raise SegCls3dError(
            f"trainers folder not found at {TRAINERS_DIR}: install segcls3d from its repository with "
            "`pip install -e .` so that nnU-Net can find nnUNetTrainerSegCls & co."
        )
    current = os.environ.get("nnUNet_extTrainer", "")
    parts = [p for p in current.split(os.pathsep) if p]
    if str(TRAINERS_DIR) not in parts:
        parts.append(str(TRAINERS_DIR))
    os.environ["nnUNet_extTrainer"] = os.pathsep.join(parts)
    return os.environ["nnUNet_extTrainer"]
