"""The four arms of the GLAM benchmark: train with nnUNetv2_train, predict on the test cases, measure.

Every step is the tool a user runs (``nnUNetv2_train``, ``segcls3d predict``, ``segcls3d saliency``,
``segcls3d pseudolabel glam``, nnU-Net's plan/preprocess, ``segcls3d evaluate``), called through the
library; trained models and pseudo-labelled datasets are reused when the script is run again.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from segcls3d.evaluate import evaluate_predictions
from segcls3d.evaluate.inputs import load_class_label_ids
from segcls3d.evaluate.overlap_summary import evaluate_saliency_masks
from segcls3d.evaluate.saliency_pxap import evaluate_saliency_pxap
from segcls3d.experiments.plan.datasets import DatasetSpec
from segcls3d.experiments.run import steps
from segcls3d.io import write_json_atomic
from segcls3d.labels import CaseLabels
from segcls3d.metrics.pxap import PxAPAccumulator, PxAPResult
from segcls3d.model.loading import load_model
from segcls3d.pipeline import plan_and_preprocess
from segcls3d.plans import write_preset_plans
from segcls3d.predict.inputs import collect_cases
from segcls3d.predict.run import predict_folder
from segcls3d.predict.saliency_case import SaliencyPredictor
from segcls3d.predict.saliency_run import saliency_folder
from segcls3d.pseudolabels.glam import write_glam_dataset
from segcls3d.summarize import RuleBasedSummarizer, class_probability_maps

ARMS = ("glam", "cls_gradcam", "segcls_glam_masks", "segcls_supervised")
MASKS_ID = 976


@dataclass(frozen=True)
class ArmContext:
    prepared: steps.PreparedDataset
    spec: DatasetSpec
    schedule: str
    preset: str | None
    device: str
    tree: Path
    threshold: float = 0.5

    def trainer(self, idea: str) -> str:
        return f"nnUNetTrainer{idea}{self.schedule}"


def _array(path: Path) -> np.ndarray:
    return sitk.GetArrayFromImage(sitk.ReadImage(str(path)))


def train(ctx: ArmContext, prepared: steps.PreparedDataset, idea: str) -> tuple[Path, dict]:
    """nnUNetv2_train fold 0 (skipped when trained); time and peak memory of the training."""
    trainer = ctx.trainer(idea)
    started = time.time()
    folder = steps.train_job(prepared, trainer, [0], npz=False, device=ctx.device,
                             log_dir=ctx.tree / "logs" / prepared.name / trainer)
    stats_file = folder / "fold_0" / "train_stats.json"
    if not stats_file.is_file():  # trained just now (a rerun keeps the first measurement)
        peak = json.loads((folder / "fold_0" / "peak_memory.json").read_text())
        write_json_atomic(stats_file, {"train_s": round(time.time() - started, 1), **peak})
    return folder, json.loads(stats_file.read_text())


def predict(ctx: ArmContext, folder: Path, prepared: steps.PreparedDataset, out: Path, probabilities: bool = False):
    """segcls3d predict on the test images; evaluation with the masks; seconds per case."""
    model = load_model(folder, [0], device=ctx.device, use_mirroring=False)
    started = time.time()
    report = predict_folder(model, prepared.raw / "imagesTs", out, RuleBasedSummarizer(), probabilities,
                            overwrite=True)
    per_case = (time.time() - started) / max(1, len(report.rows))
    masks = {"pred_masks": out, "gt_masks": prepared.raw / "labelsTs"} if model.kind != "classifier" else {}
    result = evaluate_predictions(report.csv_path, CaseLabels.from_raw_dataset(prepared.raw), n_bootstrap=1000,
                                  seed=0, **masks)
    return model, report, result, per_case


def _pxap(result: PxAPResult) -> dict:
    return {"pxap_image": result.image_mean, "pxap_dataset": result.dataset, "pxap_cases": result.n_images}


def _metrics(result, source: str, dice: float | None) -> dict:
    entry = result.classes["target"]
    return {"auroc": entry.sources[source].auroc.to_dict(), "dice_positive": dice}


def arm_glam(ctx: ArmContext) -> dict:
    folder, stats = train(ctx, ctx.prepared, "GLAM")
    out = ctx.tree / "pred" / "glam"
    _, report, result, per_case = predict(ctx, folder, ctx.prepared, out)
    ids = load_class_label_ids(out / "classes.json")
    pxap = evaluate_saliency_pxap([r["case_id"] for r in report.rows], out / "saliency", ctx.prepared.raw / "labelsTs",
                                  ids)["target"]
    return {**stats, "infer_s_per_case": per_case, **_metrics(result, "head", result.classes["target"].masks
                                                                .dice_mean_gt_positive), **_pxap(pxap)}


def arm_cls_gradcam(ctx: ArmContext) -> dict:
    folder, stats = train(ctx, ctx.prepared, "Cls")
    out = ctx.tree / "pred" / "cls"
    model, report, result, per_case = predict(ctx, folder, ctx.prepared, out)
    ending = model.dataset_json["file_ending"]
    cases, _ = collect_cases(ctx.prepared.raw / "imagesTs", ending, len(model.dataset_json["channel_names"]))
    started = time.time()
    saliency_folder(SaliencyPredictor(model, "gradcam"), cases, out / "saliency", overwrite=True, progress=False)
    saliency_s = (time.time() - started) / max(1, len(cases))
    ids = load_class_label_ids(out / "classes.json")
    gt = ctx.prepared.raw / "labelsTs"
    labels = CaseLabels.from_raw_dataset(ctx.prepared.raw)
    positives = {n: {c for c, v in labels.column(n).items() if v == 1} for n in ids}
    masks = evaluate_saliency_masks(list(cases), out / "saliency", gt, ids, positives, thresholds={})
    pxap = evaluate_saliency_pxap(list(cases), out / "saliency", gt, ids)["target"]
    return {**stats, "infer_s_per_case": per_case + saliency_s,
            **_metrics(result, "head", masks.classes["target"].dice_mean_gt_positive), **_pxap(pxap)}


def _segcls(ctx: ArmContext, prepared: steps.PreparedDataset, out: Path) -> dict:
    folder, stats = train(ctx, prepared, "SegCls")
    model, report, result, per_case = predict(ctx, folder, prepared, out, probabilities=True)
    accumulator = PxAPAccumulator()
    for row in report.rows:
        truth = np.isin(_array(prepared.raw / "labelsTs" / f"{row['case_id']}.nii.gz"), [1])
        if truth.any():
            with np.load(out / f"{row['case_id']}.npz") as data:
                maps = class_probability_maps(data["probabilities"].astype(np.float32), model.channel_groups)
            accumulator.add(row["case_id"], maps["target"], truth)
    return {**stats, "infer_s_per_case": per_case,
            **_metrics(result, "summarizer", result.classes["target"].masks.dice_mean_gt_positive),
            **_pxap(accumulator.result())}


def arm_segcls_supervised(ctx: ArmContext) -> dict:
    return _segcls(ctx, ctx.prepared, ctx.tree / "pred" / "segcls_supervised")


def glam_masks_dataset(ctx: ArmContext) -> tuple[steps.PreparedDataset, dict]:
    """``segcls3d pseudolabel glam`` on the training images without their masks, planned like the source."""
    glam_folder, _ = train(ctx, ctx.prepared, "GLAM")
    name = f"Dataset{MASKS_ID}_{ctx.prepared.name.split('_', 1)[1]}Masks"
    raw = ctx.prepared.raw.parent / name
    marker = ctx.tree / "prepared_masks.json"
    if marker.is_file():  # the masks dataset and the SegCls model trained on it are reused: same threshold only
        made_with = json.loads(marker.read_text()).get("threshold")
        if made_with != ctx.threshold:
            raise RuntimeError(f"{raw}: GLAM masks were made with --threshold {made_with}, not {ctx.threshold:g}; "
                               "use another --work for another threshold")
    else:
        source = ctx.tree / "labels_only"
        shutil.rmtree(source, ignore_errors=True)
        for sub in ("imagesTr", "imagesTs", "labelsTs"):
            shutil.copytree(ctx.prepared.raw / sub, source / sub)
        for f in ("dataset.json", "classification_labels.csv"):
            shutil.copyfile(ctx.prepared.raw / f, source / f)
        teacher = load_model(glam_folder, [0], device=ctx.device, use_mirroring=False)
        records = write_glam_dataset(teacher, source, raw, threshold=ctx.threshold, overwrite=True, progress=False)
        if not any(r.action == "pseudo_mask" for r in records):
            raise RuntimeError(f"GLAM's maps exceed {ctx.threshold:g} in no positive training case: no mask to train "
                               "SegCls on (train GLAM longer or lower --threshold)")
        kept = {r.case_id for r in records if r.included}
        dice = [_dice(raw / "labelsTr" / f"{r.case_id}.nii.gz", ctx.prepared.raw / "labelsTr" / f"{r.case_id}.nii.gz")
                for r in records if r.action == "pseudo_mask"]
        plan_and_preprocess(MASKS_ID, (ctx.spec.configuration,), num_processes=1, verify=False)
        splits = [{p: [c for c in fold[p] if c in kept] for p in ("train", "val")} for fold in ctx.spec.splits()]
        write_json_atomic(Path(os.environ["nnUNet_preprocessed"]) / name / "splits_final.json", splits)
        if ctx.preset:
            write_preset_plans(name, ctx.preset, plans_name=ctx.prepared.plans)
        actions = [r.action for r in records]
        write_json_atomic(marker, {"threshold": ctx.threshold, "actions": {a: actions.count(a) for a in set(actions)},
                                   "pseudo_mask_dice": float(np.mean(dice)) if dice else None})
    info = json.loads(marker.read_text())
    return steps.PreparedDataset(MASKS_ID, name, raw, ctx.prepared.plans, ctx.prepared.configuration,
                                 ctx.prepared.results), info


def _dice(pred: Path, truth: Path) -> float:
    p, t = _array(pred) == 1, _array(truth) == 1
    return 2 * float((p & t).sum()) / max(1, int(p.sum() + t.sum()))


def arm_segcls_glam_masks(ctx: ArmContext) -> dict:
    prepared, info = glam_masks_dataset(ctx)
    return {**_segcls(ctx, prepared, ctx.tree / "pred" / "segcls_glam_masks"), "glam_training_masks": info}


def run_arm(arm: str, ctx: ArmContext) -> dict:
    return {"glam": arm_glam, "cls_gradcam": arm_cls_gradcam, "segcls_glam_masks": arm_segcls_glam_masks,
            "segcls_supervised": arm_segcls_supervised}[arm](ctx)
