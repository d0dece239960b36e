"""CheXseg benchmark, few expert masks and all class labels: expert-only, weak-only, CheXseg, distillation, Cls.

    .venv/bin/python benchmarks/chexseg/run_chexseg.py --dims 2 3 --seeds 0 1 2

For each dimension and seed:

1. the experiment suite's default synthetic dataset (CPU configuration: prevalence 0.5, ``cpu_tiny`` plans),
   ``--n-train`` training + ``--n-val`` validation cases (nnU-Net's holdout fold 0) and the suite's test cases;
2. ``cls``: ``nnUNetTrainerCls_exp`` on the class labels of the training cases;
3. a class-stratified ``--expert-fraction`` of the training cases keeps its masks (the expert cases); ``segcls3d
   pseudolabel cam`` with the classifier's Grad-CAM gives the others weak masks (threshold maximising IoU on
   the expert cases) -> a new nnU-Net dataset with the same split (excluded cases dropped);
4. every segmentation arm starts from the classifier's encoder (the API of ``segcls3d transfer``, then
   ``-pretrained_weights``): on the cam dataset ``expert_only`` (p = 1: SegCls on the expert cases),
   ``weak_only`` (p = 0), ``chexseg_p05``, ``chexseg_p09``; ``distillation``: ``segcls3d pseudolabel soft`` with the
   expert-only model as teacher (tau 10), ``nnUNetTrainerSoftTargets``;
5. on the test cases: per arm mIoU and mean Dice (predicted masks; means over cases with foreground and over
   positive cases) and AUROC (rule-based g, t = 0.5, the suite's tau; Cls: its own probability);
   ``saliency``: the classifier's Grad-CAM maps of the test images thresholded as the weak masks were.

``--classifier long`` trains the classifier 10x longer (200 x 40 iterations) and every arm from it, with its own
records: the weak masks of a classifier that has learned the task, next to those of one trained as briefly as the
other arms (default ``schedule``).

One JSON record per (dim, seed, arm) in ``--out/records`` (resumable: finished runs are skipped, trained models
and datasets in ``--work`` are reused); ``results.md`` is rewritten after each run. ``--schedule quick`` trains
2 x 10 iterations per model (a smoke run of this script, not a result).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import time
from pathlib import Path

from chexseg_report import write_report

from segcls3d.evaluate.overlap_summary import OverlapSummary, evaluate_saliency_folder
from segcls3d.experiments.plan.datasets import dataset_for
from segcls3d.experiments.plan.suites import CPU_SUITE
from segcls3d.experiments.run import steps
from segcls3d.io import write_json_atomic
from segcls3d.io.records import RecordFolder
from segcls3d.labels import CaseLabels
from segcls3d.model.encoder_weights import build_trainer_network, read_encoder_state, write_initial_weights
from segcls3d.model.heads import DEFAULT_POOLING
from segcls3d.model.loading import load_model
from segcls3d.pipeline import NnUNetPaths, model_folder, plan_and_preprocess, train
from segcls3d.plans import write_preset_plans
from segcls3d.predict.inputs import collect_cases
from segcls3d.predict.saliency_case import SaliencyPredictor
from segcls3d.predict.saliency_run import saliency_folder
from segcls3d.pseudolabels.cam import THRESHOLDS_FILENAME, write_cam_dataset
from segcls3d.pseudolabels.label_subset import labeled_subset, write_partial_source
from segcls3d.pseudolabels.pseudolabel import write_pseudolabel_dataset
from segcls3d.summarize import RuleBasedSummarizer

ROOT = Path(__file__).resolve().parents[2]
BENCH_TRAINERS = Path(__file__).resolve().parent / "trainers"
ARMS = ("cls", "saliency", "expert_only", "weak_only", "chexseg_p05", "chexseg_p09", "distillation")
P_SUFFIX = {"expert_only": "_p10", "weak_only": "_p00", "chexseg_p05": "_p05", "chexseg_p09": ""}
SCHEDULES = {"exp": ("_exp", "_chexsegexp"), "quick": ("_chexsegquick", "_chexsegquick")}
#: ``--classifier``: the Cls trainer whose encoder and Grad-CAM every arm uses. ``schedule`` trains it as the other
#: arms; ``long`` trains it 10x longer (200 x 40 iterations), so that the weak masks come from a classifier that
#: has learned the task. Each choice has its own records (key suffix), derived datasets (id offset) and models.
CLASSIFIERS = {"schedule": ("", 0), "long": ("_clslong", 40)}
LONG_CLASSIFIER = "nnUNetTrainerCls_chexseglong"
PREPARED = "prepared.json"
logger = logging.getLogger("chexseg")


def trainer_for(arm: str, schedule: str, classifier: str = "schedule") -> str:
    """The ``-tr`` name of an arm at a schedule (library variants for ``exp``, benchmark ones otherwise)."""
    library, bench = SCHEDULES[schedule]
    if arm in ("cls", "saliency"):  # saliency alone: the classifier's maps
        return LONG_CLASSIFIER if classifier == "long" else f"nnUNetTrainerCls{library}"
    if arm == "distillation":
        return f"nnUNetTrainerSoftTargets{bench}"
    return f"nnUNetTrainerCheXseg{P_SUFFIX[arm]}{library}"


def prepare_source(dim: int, seed: int, args) -> tuple[steps.PreparedDataset, dict]:
    spec = dataclasses.replace(dataset_for(CPU_SUITE, CPU_SUITE.sweep("b"), dim, 0.5, seed),
                               n_train=args.n_train, n_val=args.n_val)
    dataset_id = 800 + 10 * (dim - 2) + seed
    name = f"Dataset{dataset_id}_CheXsegSrc{dim}DS{seed}"
    prepared = steps.prepare_dataset(spec, dataset_id, name, CPU_SUITE.preset, args.work / "prepared" / name)
    return prepared, spec.splits()[0]


def derived(dataset_id: int, name: str, like: steps.PreparedDataset, split: dict, work: Path) -> steps.PreparedDataset:
    """Plan/preprocess a dataset written into nnUNet_raw (once), with ``split`` minus the cases it lacks."""
    raw = Path(os.environ["nnUNet_raw"]) / name
    marker = work / "prepared" / name / PREPARED
    if not marker.is_file():
        present = {p.name[: -len("_0000.nii.gz")] for p in (raw / "imagesTr").glob("*_0000.nii.gz")}
        plan_and_preprocess(dataset_id, (like.configuration,), num_processes=1)
        write_json_atomic(Path(os.environ["nnUNet_preprocessed"]) / name / "splits_final.json",
                          [{part: [c for c in split[part] if c in present] for part in ("train", "val")}])
        write_preset_plans(name, CPU_SUITE.preset, plans_name=like.plans)
        write_json_atomic(marker, {"dataset": name})
    return dataclasses.replace(like, dataset_id=dataset_id, name=name, raw=raw)


def train_arm(prepared: steps.PreparedDataset, trainer: str, device: str, work: Path,
              encoder_from: Path | None = None) -> tuple[Path, float]:
    """nnUNetv2_train fold 0 (skipped when trained), from ``encoder_from``'s encoder when given; (folder, seconds)."""
    folder = model_folder(prepared.results, prepared.name, trainer, prepared.plans, prepared.configuration)
    started = time.time()
    if not (folder / "fold_0" / "checkpoint_final.pth").is_file():
        extra: tuple[str, ...] = ()
        if encoder_from is not None:
            base = Path(os.environ["nnUNet_preprocessed"]) / prepared.name
            network = build_trainer_network(trainer, json.loads((base / f"{prepared.plans}.json").read_text()),
                                            prepared.configuration, json.loads((base / "dataset.json").read_text()))
            init = write_initial_weights(read_encoder_state(encoder_from), network,
                                         work / "init" / prepared.name / f"{trainer}.pth")
            extra = ("-pretrained_weights", str(init))
        log = work / "logs" / prepared.name / f"{trainer}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        train(prepared.dataset_id, prepared.configuration, 0, trainer, prepared.plans, device, extra_args=extra,
              log_file=log)
    return folder, time.time() - started


def test_metrics(folder: Path, source: steps.PreparedDataset, tau: float, device: str, out: Path) -> dict:
    """Predict the test cases and evaluate: mIoU / mean Dice of the masks, AUROC (mean over classes)."""
    model = steps.load_for_prediction(folder, [0], device, mirroring=False)
    evaluation = steps.predict_and_evaluate(model, source, RuleBasedSummarizer(0.5, tau, tau_unit="voxels"), out)
    classes = evaluation.result.classes
    aurocs = [next(iter(c.sources.values())).auroc.value for c in classes.values() if c.sources]
    masks = OverlapSummary("masks", {n: c.masks for n, c in classes.items() if c.masks is not None})
    return {"auroc": sum(aurocs) / len(aurocs) if aurocs else None, **_overlaps(masks)}


def _overlaps(summary: OverlapSummary) -> dict:
    d = summary.to_dict()
    return {"miou": d["miou"], "mean_dice": d["mean_dice"], "miou_positive": d["miou_gt_positive"],
            "dice_positive": d["mean_dice_gt_positive"]}


def run_seed(dim: int, seed: int, args, store: RecordFolder) -> int:
    """Every arm of one (dim, seed) that has no record yet; returns the number of failed arms."""
    settings = {"dim": dim, "seed": seed, "n_train": args.n_train, "n_val": args.n_val,
                "expert_fraction": args.expert_fraction, "schedule": args.schedule}
    suffix, offset = CLASSIFIERS[args.classifier]
    settings["head_pooling"] = DEFAULT_POOLING  # every arm starts from the classifier (records without it: average)
    if args.classifier != "schedule":  # the default stays out of the settings: its records predate the option
        settings["classifier"] = args.classifier
    runs = {arm: {**settings, "arm": arm, "trainer": trainer_for(arm, args.schedule, args.classifier)}
            for arm in args.arms}
    key = {arm: f"{dim}d_seed{seed}_{arm}{suffix}" for arm in args.arms}
    if all(store.is_done(key[a], runs[a]) for a in args.arms):
        return 0
    source, split = prepare_source(dim, seed, args)
    tau = CPU_SUITE.rule_tau(dim, float(CPU_SUITE.base[dim]["target_size"]))
    preds = args.work / "predictions" / f"{dim}d_seed{seed}{suffix}"
    cls_folder, cls_s = train_arm(source, trainer_for("cls", args.schedule, args.classifier), args.device, args.work)
    cls_checkpoint = cls_folder / "fold_0" / "checkpoint_final.pth"
    labels = CaseLabels.from_raw_dataset(source.raw)
    name = labels.classes[0]
    expert = labeled_subset(split["train"], {c: labels[c][0] for c in split["train"]}, args.expert_fraction, seed)
    partial = write_partial_source(source.raw, args.work / "partial" / source.name, expert,
                                   {c: {n: float(v) for n, v in zip(labels.classes, labels[c])}
                                    for c in labels.case_ids}, labels.classes)
    cam_id = source.dataset_id + 20 + offset
    cam_name = f"Dataset{cam_id}_CheXsegCam{'L' if offset else ''}{dim}DS{seed}"
    if not (args.work / "prepared" / cam_name / PREPARED).is_file():
        classifier = load_model(cls_folder, [0], device=args.device, use_mirroring=False)
        write_cam_dataset(classifier, partial, Path(os.environ["nnUNet_raw"]) / cam_name, progress=False)
    cam = derived(cam_id, cam_name, source, split, args.work)
    failed = 0
    for arm in args.arms:
        if store.is_done(key[arm], runs[arm]):
            continue
        try:
            result = _run_arm(arm, args, source, cam, split, cls_folder, cls_checkpoint, cls_s, tau, preds, partial,
                              offset)
            store.write(key[arm], {"status": "done", "settings": runs[arm], "class": name,
                                   "n_expert": len(expert), **result})
        except Exception as exc:  # noqa: BLE001 - one failed arm must not stop the others
            logger.exception("%s failed: %s", key[arm], exc)
            failed += 1
        write_report(store.read_all(), args.out)
    return failed


def _run_arm(arm, args, source, cam, split, cls_folder, cls_checkpoint, cls_s, tau, preds, partial, offset) -> dict:
    if arm == "cls":
        return {"train_s": round(cls_s, 1), **test_metrics(cls_folder, source, tau, args.device, preds / arm)}
    if arm == "saliency":
        if not (preds / "cls" / "classification.csv").is_file():
            test_metrics(cls_folder, source, tau, args.device, preds / "cls")
        classifier = SaliencyPredictor(load_model(cls_folder, [0], device=args.device, use_mirroring=False))
        ending = json.loads((source.raw / "dataset.json").read_text())["file_ending"]
        cases, _ = collect_cases(source.raw / "imagesTs", ending, 1)
        saliency_folder(classifier, cases, preds / arm, overwrite=True, progress=False)
        ids = {c.name: list(c.label_ids) for c in classifier.model.classes}
        summary = evaluate_saliency_folder(preds / "cls" / "classification.csv",
                                           source.raw / "classification_labels.csv", preds / arm,
                                           source.raw / "labelsTs", ids, cam.raw / THRESHOLDS_FILENAME)
        return {"auroc": None, **_overlaps(summary)}
    if arm == "distillation":
        teacher_folder, _ = train_arm(cam, trainer_for("expert_only", args.schedule), args.device, args.work,
                                      cls_checkpoint)
        soft_id = source.dataset_id + 40 + offset
        soft_name = f"Dataset{soft_id}_CheXsegSoft{'L' if offset else ''}{source.name[-5:]}"
        if not (args.work / "prepared" / soft_name / PREPARED).is_file():
            teacher = load_model(teacher_folder, [0], device=args.device, use_mirroring=False)
            write_pseudolabel_dataset("soft", teacher, partial, Path(os.environ["nnUNet_raw"]) / soft_name,
                                      progress=False)
        soft = derived(soft_id, soft_name, source, split, args.work)
        folder, seconds = train_arm(soft, trainer_for(arm, args.schedule), args.device, args.work, cls_checkpoint)
    else:
        folder, seconds = train_arm(cam, trainer_for(arm, args.schedule), args.device, args.work, cls_checkpoint)
    return {"train_s": round(seconds, 1), **test_metrics(folder, source, tau, args.device, preds / arm)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=ROOT / "work_dirs" / "chexseg", help="nnU-Net folders, models")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "chexseg" / "results")
    parser.add_argument("--dims", type=int, nargs="+", choices=(2, 3), default=[2, 3])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(CPU_SUITE.seeds))
    parser.add_argument("--arms", nargs="+", choices=ARMS, default=list(ARMS))
    parser.add_argument("--n-train", type=int, default=100, help="training cases (default 100)")
    parser.add_argument("--n-val", type=int, default=20, help="validation cases, holdout fold 0 (default 20)")
    parser.add_argument("--expert-fraction", type=float, default=0.1, help="training cases with masks (default 0.1)")
    parser.add_argument("--schedule", choices=tuple(SCHEDULES), default="exp", help="exp | quick (smoke run)")
    parser.add_argument("--classifier", choices=tuple(CLASSIFIERS), default="schedule",
                        help="schedule: Cls trained as the other arms; long: 200 x 40 iterations (its own records)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    NnUNetPaths.under(args.work / "nnunet").apply()
    os.environ["nnUNet_extTrainer"] = os.pathsep.join([os.environ["nnUNet_extTrainer"], str(BENCH_TRAINERS)])
    os.environ.setdefault("nnUNet_compile", "false")
    store = RecordFolder(args.out / "records")
    failed = 0
    for dim in args.dims:
        for seed in args.seeds:
            try:
                failed += run_seed(dim, seed, args, store)
            except Exception as exc:  # noqa: BLE001 - one failed dataset must not stop the others
                logger.exception("%dD seed %d: preparing failed: %s", dim, seed, exc)
                failed += 1
    write_report(store.read_all(), args.out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
