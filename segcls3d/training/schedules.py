"""Every training schedule of our trainers, as ``(epochs, iterations per epoch, validation iterations)``.

``None`` keeps nnU-Net's value. No torch import: ``segcls3d experiment --dry-run`` reads these to
estimate run times.
"""
from __future__ import annotations

from typing import Optional

Schedule = tuple[Optional[int], Optional[int], Optional[int]]

ONE_EPOCH: Schedule = (1, None, None)
FIVE_EPOCHS: Schedule = (5, None, None)
SMOKE: Schedule = (2, 10, 2)  # exercises the whole pipeline (tests), learns next to nothing
DEMO: Schedule = (30, 50, 10)  # the CPU demo: tiny plans, ~3 min on 2 cores
EXP: Schedule = (20, 40, 2)  # the experiment suite's CPU schedule (800 iterations)

#: initial learning rate of the short CPU schedules (``_demo``, ``_exp``); nnU-Net's is 1e-2 for its 250,000
#: iterations. Measured (benchmarks/convergence): at 800 iterations of the tiny plans, 1e-2 can leave the
#: full-resolution output in the all-background phase for the whole run; 3e-2 left it within 80 iterations.
SHORT_SCHEDULE_LR: float = 3e-2
