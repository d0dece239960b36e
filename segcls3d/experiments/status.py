"""What is already done in an output folder, and how long the rest should take (cost model).

Done = a target JSON with ``"status": "ok"``; cached = the job's own record of that method exists
(another experiment shares the run); a dataset is prepared when its marker file exists; a fold is
trained when its ``checkpoint_final.pth`` exists.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from segcls3d.experiments.plan import NNUNET_FOLDER, RUNS_FOLDER, JobSpec, Plan, Target
from segcls3d.experiments.methods import Method
from segcls3d.experiments.records import is_current

PREPARED_MARKER = "prepared.json"
RESULTS_FOLDER = "results"


def read_record(path: Path) -> Optional[dict]:
    """A metrics JSON, or None if missing or unreadable."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def dataset_work_dir(plan: Plan, dataset_key: str) -> Path:
    return plan.out / RUNS_FOLDER / plan.dataset_name(dataset_key)


def job_record_path(plan: Plan, job: JobSpec, method_name: str) -> Path:
    return plan.job_dir(job) / RESULTS_FOLDER / f"{method_name}.json"


def model_folder(plan: Plan, job: JobSpec) -> Path:
    dataset = plan.datasets[job.dataset_key]
    return (plan.out / NNUNET_FOLDER / "nnUNet_results" / plan.dataset_name(job.dataset_key)
            / f"{job.trainer}__{plan.plans_name}__{dataset.configuration}")


def target_done(plan: Plan, target: Target) -> bool:
    """The target's JSON is current (:func:`is_current`) and comes from the dataset and trainer planned now.

    A file left by other settings (another schedule, another test-set size, another tau) is stale and
    redone (a trained model is reused: only prediction and evaluation run again).
    """
    job = plan.jobs[target.job_key]
    record = read_record(plan.target_path(target))
    return (is_current(record, plan.rule(job, target.method)) and record.get("trainer") == job.trainer
            and (record.get("dataset") or {}).get("key") == job.dataset_key)


def target_state(plan: Plan, target: Target) -> str:
    """``done``, ``cached`` (shared run finished) or ``todo``."""
    if target_done(plan, target):
        return "done"
    return "cached" if cached_record(plan, plan.jobs[target.job_key], target.method) else "todo"


def cached_record(plan: Plan, job: JobSpec, method: Method) -> Optional[dict]:
    """The job's own record of ``method`` if it is current (:func:`is_current`), else None."""
    record = read_record(job_record_path(plan, job, method.name))
    return record if is_current(record, plan.rule(job, method)) else None


@dataclass
class Estimate:
    """Seconds of remaining work, in total and per dimension / per job."""

    total_s: float = 0.0
    per_dim_s: dict[int, float] = field(default_factory=dict)
    per_job_s: dict[str, float] = field(default_factory=dict)
    n_trainings: int = 0
    n_predictions: int = 0
    n_fits: int = 0
    n_datasets: int = 0


def estimate_plan(plan: Plan) -> Estimate:
    """Cost-model estimate of everything not finished yet (see :class:`~segcls3d.experiments.budget.CostModel`)."""
    cost, schedule = plan.suite.cost, plan.suite.schedule
    est = Estimate()
    prepared_needed: set[str] = set()
    for job in plan.jobs.values():
        dataset = plan.datasets[job.dataset_key]
        dim = dataset.dim
        pending = [m for m in job.methods if cached_record(plan, job, m) is None]
        seconds = 0.0
        if pending:
            prepared_needed.add(job.dataset_key)
            folder = model_folder(plan, job)
            for fold in job.folds:
                if not (folder / f"fold_{fold}" / "checkpoint_final.pth").is_file():
                    est.n_trainings += 1
                    seconds += cost.training_s(dim, schedule.epochs, schedule.iterations, schedule.val_iterations,
                                               job.family)
                    if job.npz:
                        n_val = dataset.n_train // max(1, dataset.cv_folds) if dataset.cv_folds else dataset.n_val
                        seconds += cost.final_validation_s(dim, n_val)
            summarizers = {m.summarizer_id for m in pending}
            est.n_predictions += len(summarizers)
            seconds += len(summarizers) * cost.prediction_s(dim, int(dataset.synth["n_test"]), len(job.folds))
            fits = {m.summarizer_id for m in pending if not m.is_rule_based}
            est.n_fits += len(fits)
            seconds += len(fits) * cost.summarizer_fit_s[dim]
        est.per_job_s[job.key] = seconds
        est.per_dim_s[dim] = est.per_dim_s.get(dim, 0.0) + seconds
        est.total_s += seconds
    for key in prepared_needed:
        if not (dataset_work_dir(plan, key) / PREPARED_MARKER).is_file():
            dataset = plan.datasets[key]
            seconds = cost.preparation_s(dataset.dim, dataset.n_train + dataset.n_val + int(dataset.synth["n_test"]))
            est.n_datasets += 1
            est.per_dim_s[dataset.dim] = est.per_dim_s.get(dataset.dim, 0.0) + seconds
            est.total_s += seconds
    return est
