"""The semi-supervised experiment (Hooper et al. 2023, Figure 7 / Table A8) on the suite's default dataset.

For each dimension, seed and label fraction f of ``suite.semisup``, on the default synthetic dataset
of the suite (the same dataset, preprocessing and full-label models as experiments a-g):

* ``cls``: the classifier trained on the f labeled cases' class labels (``Classification (limited)``);
* ``segcls_g``: SegCls trained on the f labeled cases' masks, rule-based g (``Seg-for-class (limited)``);
  it is also the teacher of the two students below;
* ``segcls_semisup``: SegCls trained on the labeled masks plus the teacher's masks of the other cases,
  which carry no label at all (``segcls3d pseudolabel plain``; the paper's Setting 1, pseudo-labelling);
* ``segcls_boosted``: as above, but the other cases carry their class label and the pseudo masks are
  boosted (``segcls3d pseudolabel boosted``: negatives emptied, empty positives excluded; Setting 2).

At f = 1 there is nothing to pseudo-label: ``cls`` and ``segcls_g`` are the abundant rows of Table
A8 (the fold-0 models of the default dataset, shared with experiments a-g). The labeled subset is
fold ``k`` of the dataset's ``splits_final.json`` (:mod:`segcls3d.experiments.label_fraction`); the
holdout validation cases keep their masks in every setting. Each run writes
``OUT/semisup/<dim>d/<f>/seed<k>/<method>.json`` in the format of the other experiments plus the
label counts of Table A8 (``labels``), so ``segcls3d report`` gathers them.
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from segcls3d.experiments import steps
from segcls3d.experiments.label_fraction import labeled_subset, register_split, write_partial_source
from segcls3d.experiments.methods import CLS, PSEUDOLABEL_MODES, SEGCLS_G, SEMISUP_METHODS, Method, rule_parameters
from segcls3d.experiments.plan import RUNS_FOLDER, DatasetSpec, dataset_for
from segcls3d.experiments.records import SCHEMA_VERSION, headline_metrics, is_current, mask_dice
from segcls3d.experiments.registry import DatasetRegistry
from segcls3d.experiments.runner import CLASS_NAME, RunSummary, configure_environment_for, now_iso, resolve_device
from segcls3d.experiments.status import read_record
from segcls3d.experiments.suites import Suite
from segcls3d.experiments.sweeps import value_label
from segcls3d.io import write_json_atomic

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SemisupTarget:
    """One metrics JSON of the semi-supervised experiment."""

    dim: int
    seed: int
    fraction: float
    method: Method

    def relative_path(self, experiment: str) -> Path:
        return Path(experiment, f"{self.dim}d", value_label(self.fraction), f"seed{self.seed}",
                    f"{self.method.name}.json")


def semisup_targets(suite: Suite, dims: Sequence[int], seeds: Sequence[int]) -> list[SemisupTarget]:
    """Every (dim, seed, fraction, method); the students only where some cases are left unlabeled."""
    out = []
    for dim in sorted(set(dims)):
        for seed in seeds:
            for fraction in suite.semisup.values_for(dim):
                for method in SEMISUP_METHODS:
                    if method.name in PSEUDOLABEL_MODES and fraction >= 1.0:
                        continue
                    out.append(SemisupTarget(dim, seed, float(fraction), method))
    return out


def base_dataset(suite: Suite, dim: int, seed: int) -> DatasetSpec:
    """The suite's default dataset (the shared point of experiments a-g)."""
    return dataset_for(suite, suite.sweep("training_size"), dim, float(suite.n_train), seed)


def target_done(suite: Suite, out: Path, target: SemisupTarget) -> bool:
    """The target's JSON is ok and was computed with the suite's rule-based g."""
    record = read_record(Path(out) / target.relative_path(suite.semisup.name))
    return is_current(record, rule_parameters(target.method, _tau(suite, target.dim)))


def _tau(suite: Suite, dim: int) -> float:
    """tau of the rule-based g on the suite's default dataset (the one this experiment uses)."""
    return suite.rule_tau(dim, float(suite.base[dim]["target_size"]))


def derived_key(base_key: str, fraction: float, mode: str) -> str:
    """Registry key of a pseudo-labelled dataset."""
    return hashlib.sha1(f"{base_key}:{fraction:g}:{mode}".encode()).hexdigest()[:12]


def run_semisup(suite: Suite, dims: Sequence[int], seeds: Optional[Sequence[int]], out: Path,
                registry: DatasetRegistry, device: str = "cpu") -> RunSummary:
    """Run every unfinished target (see the module docstring); failures are recorded, the rest goes on."""
    started = time.time()
    device = resolve_device(device)
    out = Path(out)
    configure_environment_for(out, device)
    seeds = tuple(suite.seeds if not seeds else seeds)
    targets = semisup_targets(suite, dims, seeds)
    summary = RunSummary(n_targets=len(targets))
    summary.n_already_done = sum(target_done(suite, out, t) for t in targets)
    for dim in sorted(set(dims)):
        for seed in seeds:
            todo = [t for t in targets if t.dim == dim and t.seed == seed and not target_done(suite, out, t)]
            if todo:
                _run_seed(suite, dim, seed, todo, out, registry, device, summary)
    summary.seconds = time.time() - started
    return summary


def _run_seed(suite: Suite, dim: int, seed: int, todo: list[SemisupTarget], out: Path, registry: DatasetRegistry,
              device: str, summary: RunSummary) -> None:
    spec = base_dataset(suite, dim, seed)
    key = spec.key
    dataset_id = registry.allocate(key, dim, spec.describe())
    name = registry.name(key)
    work = out / RUNS_FOLDER / name
    try:
        prepared = steps.prepare_dataset(spec, dataset_id, name, suite.preset, work)
    except Exception as exc:  # noqa: BLE001 - recorded, the other seeds go on
        for target in todo:
            _write(out, suite, target, _failed(suite, target, spec, "prepare", exc), summary)
        return
    from segcls3d.labels import CaseLabels

    labels = CaseLabels.from_raw_dataset(prepared.raw).column(CLASS_NAME)
    split = spec.splits()[0]
    for fraction in sorted({t.fraction for t in todo}):
        point = [t for t in todo if t.fraction == fraction]
        try:
            labeled = labeled_subset(split["train"], labels, fraction, seed)
            fold = 0 if len(labeled) == len(split["train"]) else register_split(
                Path(_preprocessed()) / name / "splits_final.json", labeled, split["val"])
        except Exception as exc:  # noqa: BLE001
            for target in point:
                _write(out, suite, target, _failed(suite, target, spec, "split", exc), summary)
            continue
        counts = _label_counts(len(labeled), len(split["train"]))
        teacher_folder = None
        for target in sorted(point, key=lambda t: SEMISUP_METHODS.index(t.method)):
            method = target.method
            try:
                if method.name in PSEUDOLABEL_MODES:
                    if teacher_folder is None:
                        teacher_folder = steps.train_job(prepared, suite.schedule.trainer("SegCls"), (fold,), False,
                                                         device, work / "semisup" / f"f{fraction:g}" / "logs")
                    record = _run_student(suite, target, spec, prepared, teacher_folder, fold, labeled, split,
                                          labels, registry, out, device)
                else:
                    record = _run_direct(suite, target, spec, prepared, fold, work, device)
                    if method is SEGCLS_G:
                        teacher_folder = Path(record.pop("_model_folder"))
                    else:
                        record.pop("_model_folder", None)
                record["labels"] = counts[method.name]
            except Exception as exc:  # noqa: BLE001
                logger.error("semisup %dD seed %d f=%g %s failed: %s", dim, seed, fraction, method.name, exc)
                record = _failed(suite, target, spec, "run", exc)
            _write(out, suite, target, record, summary)


def _run_direct(suite: Suite, target: SemisupTarget, spec: DatasetSpec, prepared: steps.PreparedDataset, fold: int,
                work: Path, device: str) -> dict:
    """``cls`` / ``segcls_g`` on the labeled subset (fold ``fold``)."""
    method = target.method
    trainer = suite.schedule.trainer(method.trainer)
    job_dir = work / "semisup" / f"f{target.fraction:g}" / trainer
    t0 = time.time()
    folder = steps.train_job(prepared, trainer, (fold,), False, device, job_dir / "logs")
    train_s = time.time() - t0
    model = steps.load_for_prediction(folder, (fold,), device, suite.test_mirroring)
    summarizer = steps.make_summarizer(method, folder, prepared, (fold,), suite.summarizer_epochs, spec.seed,
                                       device, job_dir / "summarizers", rule_tau=_tau(suite, spec.dim))
    t1 = time.time()
    evaluation = steps.predict_and_evaluate(model, prepared, summarizer, job_dir / "predictions" / method.name)
    record = _ok(suite, target, spec, prepared.name, prepared.dataset_id, trainer, (fold,), evaluation,
                 {"train": train_s, "predict_evaluate": time.time() - t1})
    record["_model_folder"] = str(folder)
    return record


def _run_student(suite: Suite, target: SemisupTarget, spec: DatasetSpec, base: steps.PreparedDataset,
                 teacher_folder: Path, teacher_fold: int, labeled: list[str], split: dict, labels: dict,
                 registry: DatasetRegistry, out: Path, device: str) -> dict:
    """Pseudo-label the unlabeled cases with the teacher, train SegCls on the new dataset, test on the base test set."""
    mode = PSEUDOLABEL_MODES[target.method.name]
    key = derived_key(spec.key, target.fraction, mode)
    dataset_id = registry.allocate(key, spec.dim, {**spec.describe(), "derived_from": spec.key,
                                                   "label_fraction": target.fraction, "pseudolabel": mode})
    name = registry.name(key)
    work = out / RUNS_FOLDER / name
    keep = set(labeled) | set(split["val"])
    known = keep if mode == "plain" else set(labels)  # plain: the other cases carry no label at all
    source = write_partial_source(base.raw, work / "source", sorted(keep),
                                  {c: {CLASS_NAME: (v if c in known else None)} for c, v in labels.items()},
                                  [CLASS_NAME])
    prepared, case_records = steps.make_pseudolabel_dataset(
        mode, teacher_folder, teacher_fold, source, dataset_id, name, spec.configuration, suite.preset,
        [{"train": list(split["train"]), "val": list(split["val"])}], device, work)
    trainer = suite.schedule.trainer("SegCls")
    t0 = time.time()
    folder = steps.train_job(prepared, trainer, (0,), False, device, work / "logs")
    train_s = time.time() - t0
    model = steps.load_for_prediction(folder, (0,), device, suite.test_mirroring)
    summarizer = steps.make_summarizer(target.method, folder, prepared, (0,), suite.summarizer_epochs, spec.seed,
                                       device, work / "summarizers", rule_tau=_tau(suite, spec.dim))
    t1 = time.time()
    evaluation = steps.predict_and_evaluate(model, base, summarizer, work / "predictions" / target.method.name)
    record = _ok(suite, target, spec, name, dataset_id, trainer, (0,), evaluation,
                 {"train": train_s, "predict_evaluate": time.time() - t1})
    actions: dict[str, int] = {}
    for r in case_records:
        actions[r["action"]] = actions.get(r["action"], 0) + 1
    record["pseudolabel"] = {"mode": mode, "teacher": str(teacher_folder), "teacher_fold": teacher_fold,
                             "actions": actions}
    return record


def _label_counts(n_labeled: int, n_train: int) -> dict[str, dict[str, int]]:
    """Table A8's columns per method: images with mask + class label, only a class label, no label."""
    rest = n_train - n_labeled
    return {
        CLS.name: {"seg_and_class": 0, "class_only": n_labeled, "none": 0},
        SEGCLS_G.name: {"seg_and_class": n_labeled, "class_only": 0, "none": 0},
        "segcls_semisup": {"seg_and_class": n_labeled, "class_only": 0, "none": rest},
        "segcls_boosted": {"seg_and_class": n_labeled, "class_only": rest, "none": 0},
    }


def _base(suite: Suite, target: SemisupTarget, spec: DatasetSpec) -> dict:
    sweep = suite.semisup
    return {
        "experiment": sweep.name, "figure": sweep.figure, "title": sweep.title, "variable": sweep.variable,
        "x_label": sweep.x_label, "log_x": sweep.log_x, "small_target_slice": False,
        "value": target.fraction, "value_label": value_label(target.fraction), "dim": target.dim,
        "seed": target.seed, "schema": SCHEMA_VERSION, "suite": suite.name, "method": target.method.name,
        "method_label": target.method.label, "family": target.method.trainer, "source": target.method.source,
        "summarizer": target.method.summarizer_id,
        "rule": rule_parameters(target.method, _tau(suite, target.dim)), "plans": steps.plans_name(suite.preset),
        "configuration": spec.configuration,
        "schedule": {"epochs": suite.schedule.epochs, "iterations": suite.schedule.iterations},
    }


def _ok(suite: Suite, target: SemisupTarget, spec: DatasetSpec, name: str, dataset_id: int, trainer: str,
        folds: Sequence[int], evaluation: steps.Evaluation, timing: dict) -> dict:
    from segcls3d.errors import SegCls3dError

    class_entry = evaluation.result["classes"].get(CLASS_NAME, {})
    sources = class_entry.get("sources", {})
    if target.method.source not in sources:
        raise SegCls3dError(f"{evaluation.predictions_csv}: no '{target.method.source}' scores for class "
                            f"'{CLASS_NAME}'")
    entry = sources[target.method.source]
    return {**_base(suite, target, spec), "status": "ok", "error": None, "trainer": trainer, "folds": list(folds),
            "dataset": {"key": spec.key, "id": dataset_id, "name": name, **spec.describe()},
            "metrics": {**headline_metrics(entry), "dice_positive": mask_dice(class_entry)}, "n_test_cases": entry.get("n"),
            "n_test_positive": entry.get("n_positive"), "n_failed_cases": evaluation.n_failed_cases,
            "predictions": str(evaluation.predictions_csv),
            "timing_s": {k: round(v, 1) for k, v in timing.items()}, "finished_at": now_iso()}


def _failed(suite: Suite, target: SemisupTarget, spec: DatasetSpec, stage: str, exc: BaseException) -> dict:
    return {**_base(suite, target, spec), "status": "failed", "failed_step": stage,
            "error": f"{type(exc).__name__}: {exc}"[-4000:], "metrics": None, "trainer": None,
            "dataset": {"key": spec.key, **spec.describe()}, "finished_at": now_iso()}


def _write(out: Path, suite: Suite, target: SemisupTarget, record: dict, summary: RunSummary) -> None:
    path = out / target.relative_path(suite.semisup.name)
    write_json_atomic(path, record)
    summary.n_written += 1
    if record.get("status") != "ok":
        summary.failures.append((str(path), str(record.get("error", "failed")).strip().splitlines()[-1]))


def _preprocessed() -> str:
    import os

    return os.environ["nnUNet_preprocessed"]


def describe_semisup(suite: Suite, dims: Sequence[int], seeds: Optional[Sequence[int]], out: Path) -> str:
    """A short plan of the semi-supervised experiment for ``--dry-run`` and the log."""
    seeds = tuple(suite.seeds if not seeds else seeds)
    targets = semisup_targets(suite, dims, seeds)
    done = sum(target_done(suite, out, t) for t in targets)
    fractions = {d: ", ".join(f"{f:g}" for f in suite.semisup.values_for(d)) for d in sorted(set(dims))}
    trainings = sum(1 for t in targets if t.fraction < 1.0)  # f = 1: the models of experiments a-g
    cost, sch = suite.cost, suite.schedule
    seconds = sum((cost.training_s(t.dim, sch.epochs, sch.iterations, sch.val_iterations, t.method.trainer)
                   if t.fraction < 1.0 else 0.0)
                  + cost.prediction_s(t.dim, int(suite.n_test), 1)
                  + (cost.preparation_s(t.dim, suite.n_train + suite.n_val) if t.method.name in PSEUDOLABEL_MODES else 0)
                  for t in targets if not target_done(suite, out, t))
    from segcls3d.experiments.budget import format_duration

    return (f"semi-supervised experiment (Fig. 7 / Table A8): label fractions "
            f"{'; '.join(f'{d}D: {v}' for d, v in fractions.items())}; seeds {' '.join(map(str, seeds))}; "
            f"methods {', '.join(m.name for m in SEMISUP_METHODS)}\n"
            f"runs: {len(targets)} - done {done}; up to {trainings} trainings; estimated time for the rest "
            f"{format_duration(seconds)} (models shared with experiments a-g are not trained again)")

