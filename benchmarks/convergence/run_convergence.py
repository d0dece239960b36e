"""Convergence benchmark: does label-aware sampling get SegCls out of nnU-Net's all-background phase?

    .venv/bin/python benchmarks/convergence/run_convergence.py --dims 2 3 --seeds 0 1 2

For each point of the experiment suite's CPU configuration (the default point, (b) prevalence 0.05,
(e) target radius 2.5), dimension and seed:

1. the suite's synthetic dataset with 100 training cases (80 train + 20 validation) and its 40 test
   cases (prevalence 0.5), planned and preprocessed by nnU-Net, ``cpu_tiny`` plans;
2. folds stratified by the image-level labels (``segcls3d.training.splits``); the first fold whose
   validation part holds a positive case is trained (pseudo Dice is undefined without one);
3. four arms, 20 epochs x 40 iterations, all validated on balanced patches:
   ``uniform`` (nnU-Net's uniform draw, a third of each batch foreground-forced, initial learning rate
   1e-2: the old default), ``label_aware`` (label-aware case sampling, otherwise the same),
   ``label_aware_lr3e-2`` (and the short schedules' 3e-2) and ``default`` (and half of each batch
   foreground-forced: what ``nnUNetTrainerSegCls_exp`` trains with now);
4. iterations until the validation pseudo Dice (nnU-Net's ``mean_fg_dice``) first exceeds 0.5, and the
   test AUROC (1000-resample bootstrap CI) and Dice of the rule-based g (t = 0.5, the suite's tau).

One JSON record per (dim, point, seed, arm) in ``--out/records`` (resumable: finished runs are
skipped); ``results.md`` is rewritten after each run.
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from segcls3d.experiments.plan.datasets import dataset_for
from segcls3d.experiments.plan.suites import CPU_SUITE
from segcls3d.experiments.report.gather import mean_ci
from segcls3d.experiments.report.tables import fmt_mean_ci
from segcls3d.experiments.run import steps
from segcls3d.io import write_text_atomic
from segcls3d.io.records import RecordFolder
from segcls3d.labels import CaseLabels
from segcls3d.labels.case_labels import raw_case_ids
from segcls3d.labels.folds import SPLITS_FILENAME
from segcls3d.model.checkpoint import read_checkpoint
from segcls3d.pipeline import NnUNetPaths
from segcls3d.summarize import RuleBasedSummarizer
from segcls3d.training.splits import write_stratified_splits

ROOT = Path(__file__).resolve().parents[2]
BENCH_TRAINERS = Path(__file__).resolve().parent / "trainers"
#: point -> (sweep, value): the suite's datasets
POINTS = {"default": ("prevalence_low", 0.5), "prevalence_0.05": ("prevalence_low", 0.05),
          "radius_2.5": ("target_size", 2.5)}
ARMS = {"uniform": "nnUNetTrainerSegClsUniformSampling_conv", "label_aware": "nnUNetTrainerSegCls_conv",
        "label_aware_lr3e-2": "nnUNetTrainerSegClsShortLR_conv", "default": "nnUNetTrainerSegClsDefault_conv"}
N_TRAIN, N_VAL, DICE_LEVEL = 80, 20, 0.5
logger = logging.getLogger("convergence")


def prepare(dim: int, point: str, seed: int, work: Path) -> tuple[steps.PreparedDataset, int, dict]:
    """Generate, plan, preprocess; stratified folds; return the dataset, the fold trained and its split."""
    sweep, value = POINTS[point]
    spec = dataclasses.replace(dataset_for(CPU_SUITE, CPU_SUITE.sweep(sweep), dim, value, seed),
                               n_train=N_TRAIN, n_val=N_VAL)
    index = list(POINTS).index(point) * 10 + (dim - 2) * 5 + seed
    dataset_id, name = 700 + index, f"Dataset{700 + index}_Conv{dim}D{point.replace('.', 'p').replace('_', '')}S{seed}"
    prepared = steps.prepare_dataset(spec, dataset_id, name, CPU_SUITE.preset, work / "prepared" / name)
    labels = CaseLabels.from_raw_dataset(prepared.raw)
    ids = sorted(raw_case_ids(prepared.raw, "imagesTr"))
    splits_file = Path(os.environ["nnUNet_preprocessed"]) / name / SPLITS_FILENAME
    splits = write_stratified_splits(splits_file, ids, labels, overwrite=True)
    fold = training_fold(splits, labels)
    return prepared, fold, {"spec": spec.describe(), "fold": fold,
                            "n_train_positive": int(sum(labels[c][0] == 1 for c in splits[fold]["train"])),
                            "n_val_positive": int(sum(labels[c][0] == 1 for c in splits[fold]["val"]))}


def training_fold(splits: list[dict], labels: CaseLabels) -> int:
    """The first fold whose validation part holds a positive case (pseudo Dice is undefined without one)."""
    return next((k for k, f in enumerate(splits) if any(labels[c][0] == 1 for c in f["val"])), 0)


def iterations_to(dice: list[float], iterations_per_epoch: int, level: float = DICE_LEVEL) -> int | None:
    """Training iterations until the per-epoch pseudo Dice first exceeds ``level`` (None: never)."""
    for epoch, value in enumerate(dice):
        if value is not None and not np.isnan(value) and value > level:
            return (epoch + 1) * iterations_per_epoch
    return None


def run_one(prepared: steps.PreparedDataset, fold: int, trainer: str, dim: int, target_size: float, device: str,
            work: Path) -> dict:
    """Train one arm, read its curves, test it; return the record's results."""
    started = time.time()
    folder = steps.train_job(prepared, trainer, [fold], npz=False, device=device,
                             log_dir=work / "logs" / prepared.name / trainer)
    seconds = time.time() - started
    log = read_checkpoint(folder / f"fold_{fold}" / "checkpoint_final.pth")["logging"]
    dice = [float(v) for v in log["mean_fg_dice"]]
    iterations = 40  # the _conv schedule
    tau = CPU_SUITE.rule_tau(dim, target_size)
    model = steps.load_for_prediction(folder, [fold], device, mirroring=False)
    evaluation = steps.predict_and_evaluate(model, prepared, RuleBasedSummarizer(0.5, tau, tau_unit="voxels"),
                                            work / "predictions" / prepared.name / trainer)
    entry = evaluation.result.classes["target"]
    summary = entry.sources["summarizer"]
    masks = entry.masks
    return {"pseudo_dice": dice, "val_auroc": [float(v) for v in log.get("val_auroc", [])],
            "iterations_to_dice_0.5": iterations_to(dice, iterations), "max_iterations": iterations * len(dice),
            "test_auroc": summary.auroc.to_dict(), "test_dice_positive": None if masks is None
            else masks.dice_mean_gt_positive, "train_s": round(seconds, 1), "tau_voxels": tau}


def _iterations_cell(values: list[int]) -> str:
    stat = mean_ci(values)
    if stat.n == 0:
        return "n/a"
    return f"{stat.mean:.0f}" + (f" [{stat.lower:.0f}, {stat.upper:.0f}]" if stat.lower is not None else " (1 seed)")


def _cell(record: dict) -> str:
    reached = record["iterations_to_dice_0.5"]
    return f"{reached}" if reached is not None else f"> {record['max_iterations']}"


def write_report(records: dict[str, dict], out: Path) -> Path:
    """results.md: per (dim, point, arm) summary with the ratio to the uniform arm, then one row per run."""
    by_cell: dict[tuple, dict[str, list[dict]]] = {}
    for record in records.values():
        s = record["settings"]
        by_cell.setdefault((s["dim"], s["point"]), {}).setdefault(s["arm"], []).append(record)

    def its(rs: list[dict]) -> list[int]:
        return [r["iterations_to_dice_0.5"] or r["max_iterations"] for r in rs]

    lines = ["# Convergence of SegCls: label-aware sampling, learning rate, nnU-Net's uniform draw", "",
             "Datasets of the experiment suite's CPU configuration (80 training + 20 validation cases, stratified "
             "folds), `cpu_tiny` plans, 20 epochs x 40 iterations. Iterations until the validation pseudo Dice first "
             "exceeds 0.5 (`> 800`: never), and the rule-based g on the 40 test images (prevalence 0.5). Mean [95% "
             "t-interval] over seeds. The ratio divides the uniform arm's mean iterations by the arm's, counting a "
             "run that never got there as 800 (a ratio with such runs is a lower bound).", "",
             "Arms: `uniform` = nnU-Net's uniform draw of cases, a third of each batch foreground-forced, initial "
             "learning rate 1e-2 (the old default); `label_aware` = label-aware case sampling, otherwise the same; "
             "`label_aware_lr3e-2` = and initial learning rate 3e-2; `default` = and half of each batch "
             "foreground-forced (what `nnUNetTrainerSegCls_exp` and `_demo` train with now).", "",
             "| dim | point | arm | runs reaching Dice 0.5 | iterations to Dice 0.5 | ratio uniform / arm | "
             "test AUROC | test Dice (positives) |", "|---|---|---|---|---|---|---|---|"]
    for (dim, point), arms in sorted(by_cell.items()):
        uniform = arms.get("uniform", [])
        for arm in ARMS:
            rs = arms.get(arm, [])
            if not rs:
                continue
            ratio = np.mean(its(uniform)) / np.mean(its(rs)) if uniform else None
            reached = sum(r["iterations_to_dice_0.5"] is not None for r in rs)
            lines.append(f"| {dim}D | {point} | {arm} | {reached}/{len(rs)} | {_iterations_cell(its(rs))} | "
                         f"{'n/a' if ratio is None else f'{ratio:.2f}'} | "
                         f"{fmt_mean_ci(mean_ci(r['test_auroc']['value'] for r in rs))} | "
                         f"{fmt_mean_ci(mean_ci(r['test_dice_positive'] for r in rs))} |")
    lines += ["", "## Runs", "", "| dim | point | seed | arm | fold | positives train/val | iterations to Dice 0.5 | "
              "final pseudo Dice | test AUROC [95% CI] | test Dice | train (s) |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for key in sorted(records):
        r, s = records[key], records[key]["settings"]
        auroc = r["test_auroc"]
        ci = f" [{auroc['ci_lower']:.3f}, {auroc['ci_upper']:.3f}]" if auroc.get("ci_lower") is not None else ""
        dice = r["test_dice_positive"]
        lines.append(f"| {s['dim']}D | {s['point']} | {s['seed']} | {s['arm']} | {r['fold']} | "
                     f"{r['n_train_positive']}/{r['n_val_positive']} | {_cell(r)} | {r['pseudo_dice'][-1]:.3f} | "
                     f"{auroc['value']:.3f}{ci} | {'n/a' if dice is None else f'{dice:.3f}'} | {r['train_s']:.0f} |")
    return write_text_atomic(out / "results.md", "\n".join(lines) + "\n")


def add_arguments(parser: argparse.ArgumentParser, name: str, arms: Sequence[str]) -> None:
    """The options of a benchmark over ``POINTS`` (this one and ``benchmarks/head_pooling``)."""
    parser.add_argument("--work", type=Path, default=ROOT / "work_dirs" / name, help="nnU-Net folders")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / name / "results")
    parser.add_argument("--dims", type=int, nargs="+", choices=(2, 3), default=[2, 3])
    parser.add_argument("--points", nargs="+", choices=list(POINTS), default=list(POINTS))
    parser.add_argument("--seeds", type=int, nargs="+", default=list(CPU_SUITE.seeds))
    parser.add_argument("--arms", nargs="+", choices=list(arms), default=list(arms))
    parser.add_argument("--device", default="cpu")


def run_points(args: argparse.Namespace, arms: dict[str, str], bench_trainers: Path,
               run_arm: Callable[[steps.PreparedDataset, int, str, dict], dict],
               report: Callable[[dict[str, dict], Path], Path]) -> int:
    """Every (dim, point, seed, arm) without a record: prepare its dataset once, run the arms, rewrite the report.

    ``run_arm(prepared, fold, trainer, info)`` returns a record's results; returns the number of failures.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    NnUNetPaths.under(args.work / "nnunet").apply()
    os.environ["nnUNet_extTrainer"] = os.pathsep.join([os.environ["nnUNet_extTrainer"], str(bench_trainers)])
    os.environ.setdefault("nnUNet_compile", "false")
    store = RecordFolder(args.out / "records")
    failed = 0
    for dim in args.dims:
        for point in args.points:
            for seed in args.seeds:
                settings = {"dim": dim, "point": point, "seed": seed}
                keys = {arm: f"{dim}d_{point}_seed{seed}_{arm}" for arm in args.arms}
                runs = {arm: {**settings, "arm": arm, "trainer": arms[arm]} for arm in args.arms}
                if all(store.is_done(keys[arm], runs[arm]) for arm in args.arms):
                    continue
                try:
                    prepared, fold, info = prepare(dim, point, seed, args.work)
                except Exception as exc:  # noqa: BLE001 - one failed dataset must not stop the others
                    logger.error("%s: preparing failed: %s", settings, exc)
                    failed += 1
                    continue
                for arm in args.arms:
                    if store.is_done(keys[arm], runs[arm]):
                        continue
                    try:
                        result = run_arm(prepared, fold, arms[arm], info)
                        store.write(keys[arm], {"status": "done", "settings": runs[arm], **info, **result})
                    except Exception as exc:  # noqa: BLE001
                        logger.error("%s failed: %s", keys[arm], exc)
                        failed += 1
                    report(store.read_all(), args.out)
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser, "convergence", ARMS)
    args = parser.parse_args(argv)

    def run_arm(prepared: steps.PreparedDataset, fold: int, trainer: str, info: dict) -> dict:
        target_size = float(info["spec"]["synth"]["target_size"])
        return run_one(prepared, fold, trainer, int(info["spec"]["dim"]), target_size, args.device, args.work)

    return 1 if run_points(args, ARMS, BENCH_TRAINERS, run_arm, write_report) else 0


if __name__ == "__main__":
    sys.exit(main())
