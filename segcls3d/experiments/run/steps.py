"""The real tools behind one run: synth -> nnU-Net plan/preprocess -> train -> predict -> evaluate.

Each function is one step a user would run by hand (``segcls3d synth``, ``nnUNetv2_plan_and_preprocess``,
``segcls3d plans``, ``nnUNetv2_train``, ``segcls3d pseudolabel``, ``segcls3d summarize fit``, ``segcls3d
predict``, ``segcls3d evaluate``); the runner calls them through this module so tests can replace them. Each
is resumable (finished outputs are kept) and raises ``SegCls3dError`` (a fit also ``ValueError``) on failure.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from segcls3d import pipeline
from segcls3d.errors import SegCls3dError
from segcls3d.evaluate import evaluate_predictions
from segcls3d.evaluate.result import EvaluationResult
from segcls3d.experiments.plan.build import plans_name
from segcls3d.experiments.plan.datasets import DatasetSpec
from segcls3d.experiments.plan.describe import PREPARED_MARKER
from segcls3d.experiments.plan.methods import Method
from segcls3d.io import write_json_atomic
from segcls3d.labels import CaseLabels
from segcls3d.model.loading import LoadedModel, load_model
from segcls3d.plans import write_preset_plans
from segcls3d.predict.run import predict_folder
from segcls3d.pseudolabels.pseudolabel import write_pseudolabel_dataset
from segcls3d.summarize import RuleBasedSummarizer, save_summarizer
from segcls3d.summarize.trained import FitOptions, fit_summarizer, load_trained_summarizer
from segcls3d.synth import generate_dataset

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedDataset:
    """A generated, planned and preprocessed dataset with its split and plans."""

    dataset_id: int
    name: str
    raw: Path
    plans: str
    configuration: str
    results: Path


@dataclass(frozen=True)
class Evaluation:
    """``segcls3d evaluate`` result of one prediction folder."""

    result: EvaluationResult
    predictions_csv: Path
    n_failed_cases: int


def prepare_dataset(spec: DatasetSpec, dataset_id: int, name: str, preset: Optional[str],
                    work_dir: Path) -> PreparedDataset:
    """Generate the dataset, plan/preprocess it unless ``work_dir`` has the marker, write its split and preset plans."""
    raw_base, pre_base = Path(os.environ["nnUNet_raw"]), Path(os.environ["nnUNet_preprocessed"])
    others = [p.name for base in (raw_base, pre_base) for p in base.glob(f"Dataset{dataset_id:03d}_*")
              if p.name != name]
    if others:
        raise SegCls3dError(f"nnU-Net dataset id {dataset_id} is already used by {others[0]} in {raw_base.parent}; "
                            "remove it or use another --out folder")
    generate_dataset(spec.synth_config(name), raw_base / name, progress=False)
    if not (Path(work_dir) / PREPARED_MARKER).is_file():
        _plan_split_preset(dataset_id, name, spec.configuration, preset, spec.splits(), work_dir,
                           {"spec": spec.describe()})
    return PreparedDataset(dataset_id, name, raw_base / name, plans_name(preset), spec.configuration,
                           Path(os.environ["nnUNet_results"]))


def _plan_split_preset(dataset_id: int, name: str, configuration: str, preset: Optional[str], splits: list,
                       work_dir: Path, marker_info: dict) -> None:
    """nnU-Net plan + preprocess, ``splits_final.json``, the preset plans, then the marker of a prepared dataset."""
    pipeline.plan_and_preprocess(dataset_id, (configuration,),
                                 num_processes=max(1, int(os.environ.get("nnUNet_def_n_proc", "1"))))
    write_json_atomic(Path(os.environ["nnUNet_preprocessed"]) / name / "splits_final.json", splits)
    if preset:
        write_preset_plans(name, preset, plans_name=plans_name(preset))
    write_json_atomic(Path(work_dir) / PREPARED_MARKER, {"dataset": name, "plans": plans_name(preset),
                                                         "configuration": configuration, **marker_info})


def make_pseudolabel_dataset(mode: str, teacher_folder: Path, teacher_fold: int, source_raw: Path, dataset_id: int,
                             name: str, configuration: str, preset: Optional[str], splits: list, device: str,
                             work_dir: Path) -> tuple[PreparedDataset, list]:
    """``segcls3d pseudolabel MODE`` with the teacher's fold into ``$nnUNet_raw/<name>``, then plan/preprocess it.

    ``splits`` loses the cases the dataset lacks (``boosted`` excludes empty positives); returns the per-case records.
    """
    records_file = Path(work_dir) / "pseudolabel_records.json"
    if (Path(work_dir) / PREPARED_MARKER).is_file() and records_file.is_file():
        records = json.loads(records_file.read_text())
    else:
        teacher = load_model(teacher_folder, [teacher_fold], device=device, use_mirroring=False)
        cases = write_pseudolabel_dataset(mode, teacher, source_raw, Path(os.environ["nnUNet_raw"]) / name,
                                          progress=False)
        records = [{"case_id": r.case_id, "action": r.action, "voxels": r.voxels, "reason": r.reason} for r in cases]
        present = {r["case_id"] for r in records if r["action"] not in ("excluded", "failed")}
        splits = [{part: [c for c in e[part] if c in present] for part in ("train", "val")} for e in splits]
        write_json_atomic(records_file, records)
        _plan_split_preset(dataset_id, name, configuration, preset, splits, work_dir,
                           {"pseudolabel": mode, "teacher": str(teacher_folder), "fold": teacher_fold})
    return PreparedDataset(dataset_id, name, Path(os.environ["nnUNet_raw"]) / name, plans_name(preset), configuration,
                           Path(os.environ["nnUNet_results"])), records


def train_job(prepared: PreparedDataset, trainer: str, folds: Sequence[int], npz: bool, device: str,
              log_dir: Path) -> Path:
    """``nnUNetv2_train`` each fold without ``checkpoint_final.pth`` (``npz``: probabilities re-exported if missing)."""
    folder = pipeline.model_folder(prepared.results, prepared.name, trainer, prepared.plans, prepared.configuration)
    for fold in folds:
        fold_dir = folder / f"fold_{fold}"
        log = Path(log_dir) / f"train_fold{fold}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        if not (fold_dir / "checkpoint_final.pth").is_file():
            logger.info("training %s fold %s on %s (%s)", trainer, fold, prepared.name, log)
            pipeline.train(prepared.dataset_id, prepared.configuration, fold, trainer, prepared.plans, device,
                           extra_args=("--npz",) if npz else (), log_file=log)
        elif npz and not any((fold_dir / "validation").glob("*.npz")):
            logger.info("exporting validation probabilities of %s fold %s", trainer, fold)
            pipeline.train(prepared.dataset_id, prepared.configuration, fold, trainer, prepared.plans, device,
                           extra_args=("--val", "--npz"), log_file=log.with_suffix(".val.log"))
    return folder


def make_summarizer(method: Method, model_folder: Path, prepared: PreparedDataset, folds: Sequence[int],
                    epochs: int, seed: int, device: str, cache_dir: Path, rule_tau: float = 10.0):
    """The rule-based g (t = 0.5, :meth:`Method.rule_tau`) or a trained one fitted out-of-fold, cached in cache_dir."""
    if method.is_rule_based:
        return RuleBasedSummarizer(threshold=0.5, tau=method.rule_tau(rule_tau), tau_unit="voxels")
    path = Path(cache_dir) / f"{method.summarizer_id}.json"
    if path.is_file():
        return load_trained_summarizer(path, model_folder)
    options = FitOptions(folds=list(folds), epochs=epochs, seed=seed, layer=method.layer or "deep", device=device)
    summarizer = fit_summarizer(model_folder, prepared.raw / "classification_labels.csv", method.summarizer, options)
    save_summarizer(path, summarizer)
    return summarizer


def load_for_prediction(model_folder: Path, folds: Sequence[int], device: str, mirroring: bool) -> LoadedModel:
    """nnU-Net's predictor for the trained folds (an ensemble when several)."""
    return load_model(model_folder, list(folds), device=device, use_mirroring=mirroring)


def predict_and_evaluate(model: LoadedModel, prepared: PreparedDataset, summarizer, out_dir: Path) -> Evaluation:
    """``segcls3d predict`` on the test images, ``segcls3d evaluate`` against the test labels (and masks, if any)."""
    report = predict_folder(model, prepared.raw / "imagesTs", out_dir, summarizer, overwrite=True)  # a redo replaces
    if report.csv_path is None:
        raise SegCls3dError(f"{prepared.name}: no test case could be predicted ({len(report.failures)} failed)")
    labels = CaseLabels.from_raw_dataset(prepared.raw)
    masks = Path(out_dir) if any(Path(out_dir).glob("*.nii.gz")) else None  # classifiers write no masks
    reference = prepared.raw / "labelsTs"
    mask_args = {"pred_masks": masks, "gt_masks": reference} if masks is not None and reference.is_dir() else {}
    evaluation = Evaluation(evaluate_predictions(report.csv_path, labels, n_bootstrap=1000, seed=0, **mask_args),
                            Path(report.csv_path), len(report.failures))
    write_json_atomic(Path(out_dir) / "metrics.json", evaluation.result.to_dict())
    return evaluation
