"""What to run (no torch): :func:`get_suite`, :func:`with_overrides`, :func:`build_plan` -> datasets, jobs and runs;
``--dry-run``: :func:`describe_plan`, :func:`estimate_plan`."""
from segcls3d.experiments.plan.build import Job, Plan, Run, build_plan
from segcls3d.experiments.plan.datasets import REGISTRY_FILENAME, DatasetRegistry, DatasetRegistryError
from segcls3d.experiments.plan.describe import Estimate, describe_plan, estimate_plan
from segcls3d.experiments.plan.suites import ExperimentConfigError, Suite, get_suite, with_overrides

__all__ = ["REGISTRY_FILENAME", "DatasetRegistry", "DatasetRegistryError", "Estimate", "ExperimentConfigError", "Job",
           "Plan", "Run", "Suite", "build_plan", "describe_plan", "estimate_plan", "get_suite", "with_overrides"]
