"""What to run: suites, sweeps and methods as data, expanded into datasets, jobs and runs (no torch).

Public API:
    get_suite(name) -> Suite                      ``cpu`` or ``full`` configuration
    with_overrides(suite, schedule, experiment, values) -> Suite
    build_plan(suite, experiments, dims, seeds, out, registry=None) -> Plan
    describe_plan(plan) -> str / estimate_plan(plan) -> Estimate    ``--dry-run``
"""
from segcls3d.experiments.plan.build import Job, Plan, Run, build_plan
from segcls3d.experiments.plan.describe import Estimate, describe_plan, estimate_plan
from segcls3d.experiments.plan.registry import REGISTRY_FILENAME, DatasetRegistry, DatasetRegistryError
from segcls3d.experiments.plan.suites import ExperimentConfigError, Suite, get_suite, with_overrides

__all__ = ["REGISTRY_FILENAME", "DatasetRegistry", "DatasetRegistryError", "Estimate", "ExperimentConfigError", "Job",
           "Plan", "Run", "Suite", "build_plan", "describe_plan", "estimate_plan", "get_suite", "with_overrides"]
