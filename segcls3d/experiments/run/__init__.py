"""How to run: the one runner of every experiment, its nnU-Net steps and its records.

Public API:
    run_plan(plan, device="auto") -> RunSummary   resumable; failures recorded, the rest goes on
"""
from segcls3d.experiments.run.runner import RunSummary, run_plan

__all__ = ["RunSummary", "run_plan"]
