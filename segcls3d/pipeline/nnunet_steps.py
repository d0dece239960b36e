"""nnU-Net's own steps, driven from Python: planning/preprocessing via its API, training via the CLI.

Training runs the real ``nnUNetv2_train`` console script in a subprocess, with ``nnUNet_extTrainer``
pointing at our trainers, exactly what a user types.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, Union

from segcls3d.errors import SegCls3dError
from segcls3d.nnunet_env import ensure_ext_trainer_path

logger = logging.getLogger(__name__)
PathLike = Union[str, Path]


@dataclass(frozen=True)
class NnUNetPaths:
    """The three nnU-Net folders; ``apply()`` exports them (and our trainer path) to the environment."""

    raw: Path
    preprocessed: Path
    results: Path

    @classmethod
    def under(cls, root: PathLike) -> "NnUNetPaths":
        root = Path(root)
        return cls(root / "nnUNet_raw", root / "nnUNet_preprocessed", root / "nnUNet_results")

    def apply(self) -> dict[str, str]:
        for folder in (self.raw, self.preprocessed, self.results):
            folder.mkdir(parents=True, exist_ok=True)
        os.environ.update(nnUNet_raw=str(self.raw), nnUNet_preprocessed=str(self.preprocessed),
                          nnUNet_results=str(self.results))
        ensure_ext_trainer_path()
        return dict(os.environ)


def plan_and_preprocess(dataset_id: int, configurations: Sequence[str] = ("3d_fullres",),
                        num_processes: int = 1, verify: bool = True) -> None:
    """nnU-Net fingerprint extraction, planning and preprocessing (its Python API, same as the CLI)."""
    from nnunetv2.experiment_planning.plan_and_preprocess_api import extract_fingerprints, plan_experiments, preprocess

    saved = os.environ.get("nnUNet_n_proc_DA")
    if saved == "0":  # nnU-Net's planner calls torch.set_num_threads(n_proc_DA), which rejects 0
        os.environ["nnUNet_n_proc_DA"] = "1"
    try:
        extract_fingerprints([dataset_id], num_processes=num_processes, check_dataset_integrity=verify)
        plan_experiments([dataset_id])
        preprocess([dataset_id], configurations=tuple(configurations),
                   num_processes=tuple(num_processes for _ in configurations))
    finally:
        if saved is not None:
            os.environ["nnUNet_n_proc_DA"] = saved


def model_folder(results: PathLike, dataset_name: str, trainer: str, plans: str, configuration: str) -> Path:
    """nnU-Net's output folder ``<results>/<dataset>/<trainer>__<plans>__<configuration>``."""
    return Path(results) / dataset_name / f"{trainer}__{plans}__{configuration}"


def train(dataset_id: int, configuration: str, fold: Union[int, str], trainer: str, plans: str = "nnUNetPlans",
          device: str = "cpu", extra_args: Sequence[str] = (), log_file: Optional[PathLike] = None) -> None:
    """Run ``nnUNetv2_train DATASET CONFIG FOLD -tr TRAINER -p PLANS -device DEVICE`` and wait for it.

    Raises:
        SegCls3dError: the command is not installed or training failed (the log's tail is included).
    """
    exe = shutil.which("nnUNetv2_train") or str(Path(sys.executable).with_name("nnUNetv2_train"))
    if not Path(exe).exists():
        raise SegCls3dError("nnUNetv2_train not found: install nnunetv2 in this environment")
    cmd = [exe, str(dataset_id), configuration, str(fold), "-tr", trainer, "-p", plans, "-device", device,
           *extra_args]
    logger.info("running: %s", " ".join(cmd))
    log_path = Path(log_file) if log_file else None
    with (open(log_path, "w") if log_path else open(os.devnull, "w")) as log:
        proc = subprocess.run(cmd, stdout=log if log_path else subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, env=dict(os.environ))
    if proc.returncode != 0:
        tail = (log_path.read_text() if log_path else proc.stdout or "")[-3000:]
        raise SegCls3dError(f"nnUNetv2_train failed for {trainer} (exit {proc.returncode}):\n{tail}")
