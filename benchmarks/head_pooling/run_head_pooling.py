"""Head-pooling benchmark: average-only vs average + maximum pooling in the classification heads.

    .venv/bin/python benchmarks/head_pooling/run_head_pooling.py --dims 2 3 --seeds 0 1 2

nnU-Net's encoders end in instance normalisation, which removes each channel's spatial mean per image,
so a head that reads only the global average of the deepest stage sees features that hardly depend on
the image. The classification heads (``nnUNetTrainerCls``, the Multitask head) now add each channel's
maximum; ``...AvgPool`` trainers keep the average alone. For each point of the convergence benchmark
(the suite's default point, (b) prevalence 0.05, (e) target radius 2.5), dimension and seed:

1. the same dataset as ``benchmarks/convergence`` (80 training + 20 validation cases, stratified folds,
   ``cpu_tiny`` plans; its ``prepare``), 40 test images (prevalence 0.5);
2. four arms on the suite's schedule (``_exp``, 20 x 40 iterations at 3e-2): ``cls_avgmax``
   (``nnUNetTrainerCls_exp``), ``cls_avg`` (``nnUNetTrainerClsAvgPool_exp``), ``multitask_avgmax`` and
   ``multitask_avg`` (the Multitask head);
3. the head's test AUROC with a 1000-resample bootstrap CI (``segcls3d predict`` + ``evaluate``), the last
   epoch's training loss and the training time.

One JSON record per (dim, point, seed, arm) in ``--out/records`` (resumable); ``results.md`` is rewritten
after each run.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "convergence"))  # the same datasets

from run_convergence import POINTS, add_arguments, run_points  # noqa: E402

from segcls3d.experiments.plan.suites import CPU_SUITE  # noqa: E402
from segcls3d.experiments.report.gather import mean_ci  # noqa: E402
from segcls3d.experiments.report.tables import fmt_mean_ci  # noqa: E402
from segcls3d.experiments.run import steps  # noqa: E402
from segcls3d.io import write_text_atomic  # noqa: E402
from segcls3d.model.checkpoint import read_checkpoint  # noqa: E402
from segcls3d.summarize import RuleBasedSummarizer  # noqa: E402

BENCH_TRAINERS = Path(__file__).resolve().parent / "trainers"
ARMS = {"cls_avgmax": "nnUNetTrainerCls_exp", "cls_avg": "nnUNetTrainerClsAvgPool_exp",
        "multitask_avgmax": "nnUNetTrainerMultitask_exp", "multitask_avg": "nnUNetTrainerMultitaskAvgPool_exp"}


def run_one(prepared: steps.PreparedDataset, fold: int, trainer: str, tau: float, device: str, work: Path) -> dict:
    """Train one arm and test its head (predict runs the suite's rule-based g, tau in voxels, beside it)."""
    started = time.time()
    folder = steps.train_job(prepared, trainer, [fold], npz=False, device=device,
                             log_dir=work / "logs" / prepared.name / trainer)
    seconds = time.time() - started
    log = read_checkpoint(folder / f"fold_{fold}" / "checkpoint_final.pth")["logging"]
    model = steps.load_for_prediction(folder, [fold], device, mirroring=False)
    summarizer = RuleBasedSummarizer(0.5, tau, tau_unit="voxels")
    evaluation = steps.predict_and_evaluate(model, prepared, summarizer, work / "predictions" / prepared.name / trainer)
    head = evaluation.result.classes["target"].sources["head"]
    return {"test_auroc": head.auroc.to_dict(), "train_loss": [float(v) for v in log["train_losses"]],
            "train_s": round(seconds, 1)}


def write_report(records: dict[str, dict], out: Path) -> Path:
    """results.md: per (dim, point, arm) mean test AUROC over seeds, then one row per run."""
    cells: dict[tuple, list[dict]] = {}
    for record in records.values():
        s = record["settings"]
        cells.setdefault((s["dim"], s["point"], s["arm"]), []).append(record)
    lines = ["# Head pooling: average alone vs average + maximum", "",
             "Datasets of `benchmarks/convergence` (the suite's CPU task; 80 training + 20 validation cases, "
             "stratified folds, `cpu_tiny` plans), 40 test images (prevalence 0.5), schedule `_exp` (20 x 40 "
             "iterations at 3e-2). Test AUROC of the head: mean [95% t-interval] over seeds; final training loss "
             "(BCE for Cls, Dice + CE + BCE for Multitask) of the last epoch.", "",
             "| dim | point | arm | seeds | test AUROC (head) | final training loss |", "|---|---|---|---|---|---|"]
    for (dim, point, arm) in sorted(cells, key=lambda c: (c[0], list(POINTS).index(c[1]), list(ARMS).index(c[2]))):
        rs = cells[(dim, point, arm)]
        lines.append(f"| {dim}D | {point} | {arm} | {len(rs)} | "
                     f"{fmt_mean_ci(mean_ci(r['test_auroc']['value'] for r in rs))} | "
                     f"{fmt_mean_ci(mean_ci(r['train_loss'][-1] for r in rs))} |")
    lines += ["", "## Runs", "", "| dim | point | seed | arm | fold | test AUROC [95% CI] | final training loss | "
              "train (s) |", "|---|---|---|---|---|---|---|---|"]
    for key in sorted(records):
        r, s = records[key], records[key]["settings"]
        auroc = r["test_auroc"]
        ci = f" [{auroc['ci_lower']:.3f}, {auroc['ci_upper']:.3f}]" if auroc.get("ci_lower") is not None else ""
        lines.append(f"| {s['dim']}D | {s['point']} | {s['seed']} | {s['arm']} | {r['fold']} | "
                     f"{auroc['value']:.3f}{ci} | {r['train_loss'][-1]:.3f} | {r['train_s']:.0f} |")
    return write_text_atomic(out / "results.md", "\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser, "head_pooling", ARMS)
    args = parser.parse_args(argv)

    def run_arm(prepared: steps.PreparedDataset, fold: int, trainer: str, info: dict) -> dict:
        tau = CPU_SUITE.rule_tau(int(info["spec"]["dim"]), float(info["spec"]["synth"]["target_size"]))
        return run_one(prepared, fold, trainer, tau, args.device, args.work)

    return 1 if run_points(args, ARMS, BENCH_TRAINERS, run_arm, write_report) else 0


if __name__ == "__main__":
    sys.exit(main())
