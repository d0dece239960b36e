"""The one runner of every experiment: each dataset, training and evaluation, resumable, failures recorded.

For each dataset with unfinished runs: prepare it, then for each job get its model, build each
method's summarizer, predict the test set, evaluate, and write one record per method into the job's
``results/`` (shared by every experiment using the same training) and one per run under OUT.

Semi-supervised experiment (Hooper et al. 2023, Figure 7 / Table A8): ``cls`` and ``segcls_g`` (the teacher)
train on a class-stratified label subset, one more fold of the dataset's splits; a student (``segcls_semisup``:
the other cases carry no label, ``pseudolabel plain``; ``segcls_boosted``: they keep their class label,
``pseudolabel boosted``) trains on the subset's masks and the teacher's pseudo masks. f = 1: the default models.

A failing step is logged and recorded (the step, the error); the others go on, the next invocation retries it.
"""
from __future__ import annotations

import logging
import os
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

from tqdm import tqdm

from segcls3d.experiments.plan.build import NNUNET_FOLDER, RUNS_FOLDER, Job, Plan
from segcls3d.experiments.plan.datasets import derived_key
from segcls3d.experiments.plan.methods import Method
from segcls3d.experiments.run import steps
from segcls3d.experiments.run.records import OK, failed_record, ok_record, run_record
from segcls3d.labels import CaseLabels
from segcls3d.model.loading import resolve_device
from segcls3d.pipeline import NnUNetPaths
from segcls3d.pseudolabels.label_subset import labeled_subset, register_split, write_partial_source
from segcls3d.synth.writer import CLASS_NAME

logger = logging.getLogger(__name__)


@dataclass
class RunSummary:
    """Outcome of :func:`run_plan`: run counts and the failures (path, error)."""

    n_runs: int = 0
    n_already_done: int = 0
    n_written: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class Trained:
    """A job's model: its folder and folds, the dataset it was trained on, extra record fields."""

    folder: Path
    folds: tuple[int, ...]
    dataset: steps.PreparedDataset
    extra: dict[str, Any] = field(default_factory=dict)


def run_plan(plan: Plan, device: str = "auto") -> RunSummary:
    """Run every unfinished run of ``plan`` with nnU-Net's folders under ``OUT/_nnunet`` (see the module docstring).

    Raises:
        ModelFolderError: ``device`` is cuda but no GPU is available.
    """
    started = time.time()
    resolved = resolve_device(device)  # a named device is checked (cuda without a GPU is an error) and kept
    device = resolved.type if device == "auto" else device
    NnUNetPaths.under(plan.out / NNUNET_FOLDER).apply()
    if device == "cpu":  # in-process data augmentation, no compile
        os.environ.setdefault("nnUNet_def_n_proc", str(min(os.cpu_count() or 1, 4)))
        os.environ.setdefault("nnUNet_n_proc_DA", "0")
        os.environ.setdefault("nnUNet_compile", "false")
    summary = RunSummary(n_runs=len(plan.runs), n_already_done=sum(map(plan.is_done, plan.runs)))
    pending = {key: [j for j in plan.jobs.values() if j.dataset_key == key
                     and any(not plan.is_done(r) for r in plan.runs_of(j.key))] for key in plan.datasets}
    n_jobs = sum(map(len, pending.values()))
    logger.info("%d of %d training jobs to run (%d of %d runs done)", n_jobs, len(plan.jobs),
                summary.n_already_done, summary.n_runs)
    runner = _JobRunner(plan, device)
    with tqdm(total=n_jobs, desc="experiment jobs", unit="job") as bar:
        for key, jobs in pending.items():
            prepared, error = None, None
            if any(not plan.job_done(j, m) for j in jobs for m in j.methods):  # else: copy the jobs' records
                try:
                    prepared = steps.prepare_dataset(plan.datasets[key], plan.dataset_id(key), plan.dataset_name(key),
                                                     plan.suite.preset, plan.work_dir(key))
                except Exception as exc:  # noqa: BLE001 - recorded; the other datasets go on
                    logger.error("%s: preparing the dataset failed: %s", plan.dataset_name(key), exc)
                    error = exc
            for job in jobs:
                bar.set_postfix_str(f"{job.trainer}{job.variant} on {plan.dataset_name(key)}")
                records = runner.run(job, prepared, error)
                for run in (r for r in plan.runs_of(job.key) if not plan.is_done(r)):
                    record = records.get(run.method.name)  # the job's record as the run's
                    if record is None:
                        continue
                    path = plan.records.write(run.key, run_record(plan, run, record))
                    summary.n_written += 1
                    if record.get("status") != OK:  # with the error's last line
                        lines = [x for x in str(record.get("error") or "failed").strip().splitlines() if x.strip()]
                        summary.failures.append((str(path), lines[-1] if lines else "failed"))
                bar.update()
    summary.seconds = time.time() - started
    return summary


class _JobRunner:
    """Runs jobs; remembers trained models and label-fraction subsets (a teacher serves two students)."""

    def __init__(self, plan: Plan, device: str):
        self.plan, self.device = plan, device
        self.models: dict[tuple, Path] = {}
        self.subsets: dict[tuple, tuple[int, list[str], dict, dict]] = {}
        self.step = "train"  # the step running now, for failure records

    def run(self, job: Job, prepared: Optional[steps.PreparedDataset],
            prepare_error: Optional[Exception] = None) -> dict[str, dict]:
        """Train (if needed) and evaluate each method of ``job``; returns method -> record (ok or failed)."""
        plan, store = self.plan, self.plan.job_records(job)
        records = {m.name: store.read(m.name) for m in job.methods if plan.job_done(job, m)}
        pending = [m for m in job.methods if m.name not in records]
        if prepared is None:  # nothing to run, or the dataset could not be prepared
            return {**records, **{m.name: failed_record(plan, job, m, "prepare", prepare_error) for m in pending}}
        t0 = time.time()
        try:
            trained, failure = self._train(job, prepared), None
        except Exception as exc:  # noqa: BLE001 - recorded for every method; the other jobs go on
            trained, failure = None, (None, self.step, exc)
        timing = {"train": time.time() - t0}
        model, outcomes = None, {}  # summarizer id -> (evaluation, timing) or (None, step, exception)
        for method in pending:
            if failure is None and method.summarizer_id not in outcomes:
                self.step = "fit"
                try:
                    t_fit = time.time()
                    summarizer = steps.make_summarizer(
                        method, trained.folder, trained.dataset, trained.folds, plan.suite.summarizer_epochs,
                        plan.datasets[job.dataset_key].seed, self.device, plan.job_dir(job) / "summarizers",
                        rule_tau=plan.rule_tau(job.dataset_key))
                    t_pred, self.step = time.time(), "predict"
                    model = model or steps.load_for_prediction(trained.folder, trained.folds, self.device,
                                                               plan.suite.test_mirroring)
                    evaluation = steps.predict_and_evaluate(model, prepared, summarizer,
                                                            plan.job_dir(job) / "predictions" / method.summarizer_id)
                    outcomes[method.summarizer_id] = (evaluation, {**timing, "fit": t_pred - t_fit,
                                                                   "predict_evaluate": time.time() - t_pred})
                except Exception as exc:  # noqa: BLE001 - recorded; the other methods go on
                    outcomes[method.summarizer_id] = (None, self.step, exc)
            records[method.name] = self._record(job, method, trained, prepared,
                                                failure or outcomes[method.summarizer_id])
            store.write(method.name, records[method.name])
        return records

    def _record(self, job: Job, method: Method, trained: Optional[Trained], prepared: steps.PreparedDataset,
                outcome: tuple) -> dict:
        evaluation, *rest = outcome
        if evaluation is not None:
            try:
                return ok_record(self.plan, job, method, trained.dataset, trained.folds, evaluation,
                                 prepared.raw / "synth_metadata.csv", rest[0], **trained.extra)
            except Exception as exc:  # noqa: BLE001
                rest = ["evaluate", exc]
        logger.error("%s (%s%s) on %s: %s failed: %s", method.name, job.trainer, job.variant, prepared.name, *rest)
        return failed_record(self.plan, job, method, *rest)

    def _fit(self, prepared: steps.PreparedDataset, trainer: str, folds: tuple[int, ...], npz: bool,
             log_dir: Path) -> Path:
        """``steps.train_job`` once per (dataset, trainer, folds) in this invocation."""
        key = (prepared.name, trainer, folds)
        if key not in self.models:
            self.models[key] = steps.train_job(prepared, trainer, folds, npz, self.device, log_dir)
        return self.models[key]

    def _train(self, job: Job, prepared: steps.PreparedDataset) -> Trained:
        """The model of ``job``: its folds, its label-fraction subset, or a student of that subset's teacher."""
        plan, self.step = self.plan, "train"
        if job.label_fraction is None:
            return Trained(self._fit(prepared, job.trainer, job.folds, job.npz, plan.job_dir(job) / "logs"),
                           job.folds, prepared)
        self.step = "split"
        fold, labeled, split, labels = self._subset(job, prepared)
        self.step = "train"
        on_subset = replace(job, pseudolabel=None)  # a student's teacher: SegCls on the same subset
        folder = self._fit(prepared, on_subset.trainer, (fold,), False, plan.job_dir(on_subset) / "logs")
        if job.pseudolabel is None:
            return Trained(folder, (fold,), prepared)
        # the student's dataset: the subset's masks, the teacher's pseudo masks on the other cases
        self.step, spec, mode = "pseudolabel", plan.datasets[job.dataset_key], job.pseudolabel
        key = derived_key(job.dataset_key, job.label_fraction, mode)
        dataset_id = plan.registry.allocate(key, spec.dim, {**spec.describe(), "derived_from": job.dataset_key,
                                                            "label_fraction": job.label_fraction, "pseudolabel": mode})
        name, keep = plan.dataset_name(key), set(labeled) | set(split["val"])
        known = keep if mode == "plain" else set(labels)  # plain: the other cases carry no label at all
        work = plan.out / RUNS_FOLDER / name
        source = write_partial_source(prepared.raw, work / "source", sorted(keep),
                                      {c: {CLASS_NAME: (v if c in known else None)} for c, v in labels.items()},
                                      [CLASS_NAME])
        student, cases = steps.make_pseudolabel_dataset(mode, folder, fold, source, dataset_id, name,
                                                        spec.configuration, plan.suite.preset, [dict(split)],
                                                        self.device, work)
        self.step = "train"
        model = self._fit(student, job.trainer, (0,), False, plan.job_dir(job) / "logs")
        actions = dict(Counter(r["action"] for r in cases))
        return Trained(model, (0,), student, {"pseudolabel": {"mode": mode, "teacher": str(folder),
                                                              "teacher_fold": fold, "actions": actions}})

    def _subset(self, job: Job, prepared: steps.PreparedDataset) -> tuple[int, list[str], dict, dict]:
        """(fold, labeled cases, holdout split, class labels) of a label fraction, the fold registered once."""
        key = (job.dataset_key, job.label_fraction)
        if key not in self.subsets:
            spec = self.plan.datasets[job.dataset_key]
            labels = CaseLabels.from_raw_dataset(prepared.raw).column(CLASS_NAME)
            split = spec.splits()[0]
            labeled = labeled_subset(split["train"], labels, job.label_fraction, spec.seed)
            splits_file = Path(os.environ["nnUNet_preprocessed"]) / prepared.name / "splits_final.json"
            self.subsets[key] = (register_split(splits_file, labeled, split["val"]), labeled, split, labels)
        return self.subsets[key]
