"""The GLAM benchmark's schedules, recording each run's peak memory (``peak_memory.json`` in the fold folder).

Benchmark-only: ``benchmarks/glam/run_glam.py`` adds this folder to ``nnUNet_extTrainer``. Every arm
trains with the same schedule and initial learning rate (the short schedules' 3e-2):

* ``_glambench``: 100 epochs x 50 iterations, 10 validation batches (the experiment, ``--config full``);
* ``_glamcpu``: 40 epochs x 40 iterations, 5 validation batches (``--config cpu``);
* ``_glamsmoke``: 3 x 4 iterations (one epoch per GLAM stage): checks that the script runs.
"""
import json
from pathlib import Path

import torch

from segcls3d.training.cls import nnUNetTrainerCls
from segcls3d.training.glam.trainer import nnUNetTrainerGLAM
from segcls3d.training.schedule import ScheduleMixin
from segcls3d.training.schedules import SHORT_SCHEDULE_LR
from segcls3d.training.segcls import nnUNetTrainerSegCls

BENCH = (100, 50, 10)  # glam_report.bench_schedules() reads these for results.md
CPU = (40, 40, 5)
SMOKE = (3, 4, 2)


def _status_mb(field: str) -> float:
    """A memory field of /proc/self/status (VmRSS, VmHWM) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


class PeakMemoryMixin(ScheduleMixin):
    """Peak memory of the training loop: on CUDA the peak torch allocated; on the CPU the peak resident memory
    above the memory held when training starts (the peak is reset then, through /proc/self/clear_refs)."""

    learning_rate = SHORT_SCHEDULE_LR
    final_validation_needs_npz = True

    def on_train_start(self):
        super().on_train_start()
        self._rss_start_mb = _status_mb("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current resident size
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)

    def on_train_end(self):
        peak = {"device": str(self.device), "rss_start_mb": self._rss_start_mb,
                "training_rss_mb": _status_mb("VmHWM") - self._rss_start_mb}
        if self.device.type == "cuda":
            peak["cuda_max_allocated_mb"] = torch.cuda.max_memory_allocated(self.device) / 2 ** 20
        super().on_train_end()
        (Path(self.output_folder) / "peak_memory.json").write_text(json.dumps(peak))


class nnUNetTrainerGLAM_glambench(PeakMemoryMixin, nnUNetTrainerGLAM):
    schedule = BENCH


class nnUNetTrainerCls_glambench(PeakMemoryMixin, nnUNetTrainerCls):
    schedule = BENCH


class nnUNetTrainerSegCls_glambench(PeakMemoryMixin, nnUNetTrainerSegCls):
    schedule = BENCH


class nnUNetTrainerGLAM_glamcpu(PeakMemoryMixin, nnUNetTrainerGLAM):
    schedule = CPU


class nnUNetTrainerCls_glamcpu(PeakMemoryMixin, nnUNetTrainerCls):
    schedule = CPU


class nnUNetTrainerSegCls_glamcpu(PeakMemoryMixin, nnUNetTrainerSegCls):
    schedule = CPU


class nnUNetTrainerGLAM_glamsmoke(PeakMemoryMixin, nnUNetTrainerGLAM):
    schedule = SMOKE


class nnUNetTrainerCls_glamsmoke(PeakMemoryMixin, nnUNetTrainerCls):
    schedule = SMOKE


class nnUNetTrainerSegCls_glamsmoke(PeakMemoryMixin, nnUNetTrainerSegCls):
    schedule = SMOKE
