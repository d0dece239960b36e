"""Defaults of the rule-based summarizing function g and of calibration checks, in one place.

:class:`segcls3d.summarize.RuleBasedSummarizer`, the CLI's help texts, the demo, the benchmarks and
the experiments all read them from here. The module imports nothing, so the CLI can format them
into ``--help`` without loading the (slow) summarize package.
"""
from __future__ import annotations

#: t: a voxel is positive if its probability is >= t (Hooper et al. 2023 use 0.5).
DEFAULT_THRESHOLD: float = 0.5
#: tau: minimum positive size in voxels for image-level label 1 (the paper uses 100 pixels in 2D).
DEFAULT_TAU: float = 10.0
#: equal-width probability bins of the expected calibration error (evaluate and ``summarize fit --calibrate``).
DEFAULT_CALIBRATION_BINS: int = 10
