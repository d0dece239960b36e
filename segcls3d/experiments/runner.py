"""Run an experiment plan: every dataset, training and evaluation, resumable, failures recorded.

For each dataset with unfinished targets: prepare it (synth, plan/preprocess, split, preset), then
for each job train the folds, build each method's summarizer, predict the test set, evaluate, and
write one metrics JSON per method, first into the job's ``results/`` (shared by every experiment
that uses the same run) and then to each ``OUT/<experiment>/<dim>d/<value>/seed<k>/<method>.json``.
A failing step is logged and recorded (``"status": "failed"`` with the error); the others go on,
and the next invocation retries it.
"""
from __future__ import annotations

import logging
import os
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from segcls3d.errors import SegCls3dError
from segcls3d.experiments import steps
from segcls3d.experiments.methods import Method
from segcls3d.experiments.plan import NNUNET_FOLDER, JobSpec, Plan
from segcls3d.experiments.records import SCHEMA_VERSION, headline_metrics, mask_dice, small_target_recall
from segcls3d.experiments.status import cached_record, dataset_work_dir, job_record_path, read_record, target_done
from segcls3d.experiments.sweeps import value_label
from segcls3d.io import write_json_atomic

logger = logging.getLogger(__name__)
CLASS_NAME = "target"  # the synthetic task's one class


@dataclass
class RunSummary:
    """Outcome of :func:`run_plan`: target counts and the failures (path, error)."""

    n_targets: int = 0
    n_already_done: int = 0
    n_written: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` when available, else ``cpu``."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def configure_environment(plan: Plan, device: str) -> None:
    """nnU-Net folders under ``OUT/_nnunet``; on CPU, in-process data augmentation and no compile."""
    configure_environment_for(plan.out, device)


def configure_environment_for(out: Path, device: str) -> None:
    """:func:`configure_environment` for an output folder."""
    from segcls3d.pipeline import NnUNetPaths

    NnUNetPaths.under(Path(out) / NNUNET_FOLDER).apply()
    if device == "cpu":
        os.environ.setdefault("nnUNet_def_n_proc", str(min(os.cpu_count() or 1, 4)))
        os.environ.setdefault("nnUNet_n_proc_DA", "0")
        os.environ.setdefault("nnUNet_compile", "false")


def run_plan(plan: Plan, device: str = "auto") -> RunSummary:
    """Run every unfinished target of ``plan`` (see the module docstring)."""
    started = time.time()
    device = resolve_device(device)
    configure_environment(plan, device)
    summary = RunSummary(n_targets=len(plan.targets))
    summary.n_already_done = sum(target_done(plan, t) for t in plan.targets)
    todo = [j for j in plan.jobs.values() if _target_pending(plan, j)]
    logger.info("%d of %d training jobs to run (%d of %d metrics files done)", len(todo), len(plan.jobs),
                summary.n_already_done, summary.n_targets)
    done_jobs = 0
    for key, spec in plan.datasets.items():
        jobs = [j for j in plan.jobs_of(key) if _target_pending(plan, j)]
        if not jobs:
            continue
        work = dataset_work_dir(plan, key)
        try:
            prepared = steps.prepare_dataset(spec, plan.dataset_id(key), plan.dataset_name(key), plan.suite.preset,
                                             work)
        except Exception as exc:  # noqa: BLE001 - recorded; the other datasets go on
            error = _error_text(exc)
            logger.error("%s: preparing the dataset failed: %s", plan.dataset_name(key), _last_line(error))
            for job in jobs:
                done_jobs += 1
                records = {m.name: _failed(plan, job, m, "prepare", error) for m in job.methods}
                _write_targets(plan, job, records, summary)
            continue
        for job in jobs:
            done_jobs += 1
            logger.info("[%d/%d] %s on %s (%dD, seed %d, folds %s), %.0f min so far", done_jobs, len(todo),
                        job.trainer, prepared.name, spec.dim, spec.seed, list(job.folds), (time.time() - started) / 60)
            records = _run_job(plan, job, prepared, device)
            _write_targets(plan, job, records, summary)
    summary.seconds = time.time() - started
    return summary


def _target_pending(plan: Plan, job: JobSpec) -> bool:
    return any(not target_done(plan, t) for t in plan.targets_of(job.key))


def _run_job(plan: Plan, job: JobSpec, prepared: steps.PreparedDataset, device: str) -> dict[str, dict]:
    """Train (if needed) and evaluate each method of ``job``; returns method -> record (ok or failed)."""
    records: dict[str, dict] = {}
    pending: list[Method] = []
    for method in job.methods:
        cached = cached_record(plan, job, method)
        if cached is not None:
            records[method.name] = cached
        else:
            pending.append(method)
    if not pending:
        return records
    job_dir = plan.job_dir(job)
    t0 = time.time()
    try:
        folder = steps.train_job(prepared, job.trainer, job.folds, job.npz, device, job_dir / "logs")
    except Exception as exc:  # noqa: BLE001
        error = _error_text(exc)
        logger.error("%s on %s: training failed: %s", job.trainer, prepared.name, _last_line(error))
        for method in pending:
            records[method.name] = _store(plan, job, method, _failed(plan, job, method, "train", error))
        return records
    train_s = time.time() - t0
    model = None
    outcomes: dict[str, tuple] = {}  # summarizer id -> (evaluation, fit_s, predict_s) or (None, stage, error)
    for method in pending:
        if method.summarizer_id not in outcomes:
            stage = "fit"
            try:
                t_fit = time.time()
                summarizer = steps.make_summarizer(method, folder, prepared, job.folds, plan.suite.summarizer_epochs,
                                                   plan.datasets[job.dataset_key].seed, device, job_dir / "summarizers",
                                                   rule_tau=plan.rule_tau(job.dataset_key))
                fit_s, stage = time.time() - t_fit, "predict"
                if model is None:
                    model = steps.load_for_prediction(folder, job.folds, device, plan.suite.test_mirroring)
                t_pred = time.time()
                evaluation = steps.predict_and_evaluate(model, prepared, summarizer,
                                                        job_dir / "predictions" / method.summarizer_id)
                outcomes[method.summarizer_id] = (evaluation, fit_s, time.time() - t_pred)
            except Exception as exc:  # noqa: BLE001 - recorded; the other methods go on
                outcomes[method.summarizer_id] = (None, stage, _error_text(exc))
        evaluation, first, second = outcomes[method.summarizer_id]
        if evaluation is not None:
            try:
                record = _ok(plan, job, method, prepared, evaluation,
                             {"train": train_s, "fit": first, "predict_evaluate": second})
            except Exception as exc:  # noqa: BLE001
                record = _failed(plan, job, method, "evaluate", _error_text(exc))
        else:
            record = _failed(plan, job, method, first, second)
        if record["status"] != "ok":
            logger.error("%s (%s) on %s: %s failed: %s", method.name, job.trainer, prepared.name,
                         record["failed_step"], _last_line(record["error"]))
        records[method.name] = _store(plan, job, method, record)
    return records


def _base_record(plan: Plan, job: JobSpec, method: Method) -> dict:
    dataset = plan.datasets[job.dataset_key]
    return {
        "schema": SCHEMA_VERSION,
        "suite": plan.suite.name,
        "method": method.name,
        "method_label": method.label,
        "trainer": job.trainer,
        "family": job.family,
        "source": method.source,
        "summarizer": method.summarizer_id,
        "rule": plan.rule(job, method),
        "plans": plan.plans_name,
        "configuration": dataset.configuration,
        "folds": list(job.folds),
        "schedule": {"epochs": plan.suite.schedule.epochs, "iterations": plan.suite.schedule.iterations},
        "dataset": {"key": job.dataset_key, "id": plan.dataset_id(job.dataset_key),
                    "name": plan.dataset_name(job.dataset_key), **dataset.describe()},
    }


def _ok(plan: Plan, job: JobSpec, method: Method, prepared: steps.PreparedDataset, evaluation: steps.Evaluation,
        timing: dict) -> dict:
    class_entry = evaluation.result["classes"].get(CLASS_NAME, {})
    sources = class_entry.get("sources", {})
    if method.source not in sources:
        raise SegCls3dError(f"{evaluation.predictions_csv}: no '{method.source}' scores for class '{CLASS_NAME}' "
                            f"(found: {', '.join(sources) or 'none'})")
    entry = sources[method.source]
    metrics = headline_metrics(entry)
    metrics["dice_positive"] = mask_dice(class_entry)
    small_radius = float(plan.datasets[job.dataset_key].synth["target_size"])
    metrics["small_target_recall"] = small_target_recall(evaluation.predictions_csv,
                                                         prepared.raw / "synth_metadata.csv", CLASS_NAME,
                                                         method.source, small_radius)
    return {**_base_record(plan, job, method), "status": "ok", "error": None, "metrics": metrics,
            "n_test_cases": entry.get("n"), "n_test_positive": entry.get("n_positive"),
            "n_failed_cases": evaluation.n_failed_cases,
            "predictions": str(evaluation.predictions_csv), "timing_s": {k: round(v, 1) for k, v in timing.items()},
            "finished_at": now_iso()}


def _failed(plan: Plan, job: JobSpec, method: Method, stage: str, error: str) -> dict:
    return {**_base_record(plan, job, method), "status": "failed", "failed_step": stage, "error": error[-4000:],
            "metrics": None, "finished_at": now_iso()}


def _store(plan: Plan, job: JobSpec, method: Method, record: dict) -> dict:
    write_json_atomic(job_record_path(plan, job, method.name), record)
    return record


def _write_targets(plan: Plan, job: JobSpec, records: dict[str, dict], summary: RunSummary) -> None:
    for target in plan.targets_of(job.key):
        path = plan.target_path(target)
        if target_done(plan, target):
            continue
        record = records.get(target.method.name)
        if record is None:
            continue
        sweep = plan.sweeps[target.experiment]
        write_json_atomic(path, {
            "experiment": sweep.name, "figure": sweep.figure, "title": sweep.title, "variable": sweep.variable,
            "x_label": sweep.x_label, "log_x": sweep.log_x, "small_target_slice": sweep.small_target_slice,
            "value": target.value, "value_label": value_label(target.value), "dim": target.dim,
            "seed": target.seed, **record})
        summary.n_written += 1
        if record.get("status") != "ok":
            summary.failures.append((str(path), _last_line(record.get("error"))))


def _error_text(exc: BaseException) -> str:
    logger.debug("".join(traceback.format_exception(exc)))
    return f"{type(exc).__name__}: {exc}"


def _last_line(text: Optional[str]) -> str:
    lines = [line for line in str(text or "failed").strip().splitlines() if line.strip()]
    return lines[-1] if lines else "failed"


def now_iso() -> str:
    """UTC time in ISO format (seconds), the ``finished_at`` of a record."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def failed_targets(plan: Plan) -> list[Path]:
    """Target files of ``plan`` whose last attempt failed."""
    out = []
    for target in plan.targets:
        record: Optional[dict] = read_record(plan.target_path(target))
        if record is not None and record.get("status") != "ok":
            out.append(plan.target_path(target))
    return out
