"""The experiment suite: the paper's synthetic experiments (Figure 5 a-g) and summarizer comparison (Figure 6).

Public API:
    get_suite(name) -> Suite                      ``cpu`` or ``full`` configuration
    build_plan(suite, experiments, dims, seeds, out) -> Plan
    describe_plan(plan) -> str                    ``--dry-run`` text with the time estimate
    run_plan(plan, device="auto") -> RunSummary   resumable; failures recorded, the rest goes on
    write_report(runs_dir, out_dir) -> ReportOutput   markdown tables with CIs + PNG plots

Example:
    >>> from pathlib import Path
    >>> plan = build_plan(get_suite("cpu"), ["e"], [2], [0], Path("work_dirs/experiments"))  # doctest: +SKIP
    >>> print(describe_plan(plan))  # doctest: +SKIP
    >>> run_plan(plan)  # doctest: +SKIP
"""
from segcls3d.experiments.describe import describe_plan
from segcls3d.experiments.plan import Plan, build_plan
from segcls3d.experiments.report import ReportOutput, write_report
from segcls3d.experiments.runner import RunSummary, run_plan
from segcls3d.experiments.status import estimate_plan
from segcls3d.experiments.suites import ExperimentConfigError, Suite, get_suite

__all__ = ["ExperimentConfigError", "Plan", "ReportOutput", "RunSummary", "Suite", "build_plan", "describe_plan",
           "estimate_plan", "get_suite", "run_plan", "write_report"]
