"""Checkpoint a second network next to nnU-Net's checkpoint, without touching nnU-Net's file.

nnU-Net's checkpoint (``checkpoint_final.pth``) keeps holding exactly the exported network, so
``nnUNetv2_predict`` and ``segcls3d predict`` load it as usual. The trainer's other network (the EMA
teacher, the cross-teaching transformer) and its optimizer go to ``checkpoint_final_<name>.pth``
and are restored when training continues (``--c``).
"""
from __future__ import annotations

from pathlib import Path

import torch


def companion_path(checkpoint: str | Path, name: str) -> Path:
    """``.../checkpoint_final.pth`` -> ``.../checkpoint_final_<name>.pth``."""
    path = Path(checkpoint)
    return path.with_name(f"{path.stem}_{name}{path.suffix}")


class CompanionCheckpointMixin:
    """A second network checkpointed next to nnU-Net's (shared by MeanTeacher and CrossTeach).

    Contract: put it before the trainer class in the bases; set ``companion_name`` and implement
    ``companion_state`` (a dict of tensors, numbers and strings: it is loaded with
    ``weights_only=True``) and ``load_companion_state``.
    """

    companion_name = "companion"

    def companion_state(self) -> dict:
        raise NotImplementedError

    def load_companion_state(self, state: dict) -> None:
        raise NotImplementedError

    def save_checkpoint(self, filename: str) -> None:
        super().save_checkpoint(filename)
        if self.local_rank == 0 and not self.disable_checkpointing:
            torch.save(self.companion_state(), companion_path(filename, self.companion_name))

    def load_checkpoint(self, filename_or_checkpoint) -> None:
        super().load_checkpoint(filename_or_checkpoint)
        if isinstance(filename_or_checkpoint, (str, Path)):
            path = companion_path(filename_or_checkpoint, self.companion_name)
            if path.is_file():
                self.load_companion_state(torch.load(path, map_location=self.device, weights_only=True))
            else:
                self.print_to_log_file(f"segcls3d: {path.name} not found; {self.companion_name} starts afresh")

    def on_train_end(self):
        super().on_train_end()
        if self.local_rank == 0 and self.output_folder is not None:
            latest = Path(self.output_folder) / "checkpoint_latest.pth"
            companion_path(latest, self.companion_name).unlink(missing_ok=True)
