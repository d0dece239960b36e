"""How to run: :func:`run_plan` (plan, device) -> RunSummary, the one resumable runner, its nnU-Net steps, records."""
from segcls3d.experiments.run.runner import RunSummary, run_plan

__all__ = ["RunSummary", "run_plan"]
