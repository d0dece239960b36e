"""MultiMix benchmark (issue 14): the paper's Table 2 shape on synthetic data, plus a domain-shift test set.

    .venv/bin/python benchmarks/multimix/run_multimix.py --dims 2 3 --seeds 0 1 2

For each dimension and seed (``regimes.py``):

1. the experiment suite's CPU task (bright target ball among dimmer balls, ``segcls3d synth``) with
   ``--n-train`` training + ``--n-val`` validation cases and ``--n-test`` test cases (prevalence 0.5);
   the domain-shift test set is the same test cases generated with ``--noise --shift-noise`` instead
   of the task's noise: same objects, another intensity distribution (the paper's cross-domain test);
2. four regimes, masks few|all x class labels few|all (``--few-masks``/``--few-labels`` training
   cases, class-stratified, disjoint when both are few), each written by ``segcls3d pseudolabel
   partial --positives ignore --negatives ignore`` and planned/preprocessed by nnU-Net (``cpu_tiny``);
3. four methods on each regime's dataset, same plans, fold and schedule (``--schedule``, default
   ``_exp``: 20 x 40 iterations): MultiMix (``nnUNetTrainerMultiMix``), Multitask (Y-Net), SegCls
   (rule-based g on the mask) and Cls (encoder + linear on whole images);
4. ``segcls3d predict`` on both test sets; accuracy at the model's own labels (scikit-learn; head at
   p >= 0.5, g at its rule), AUROC with a 1000-resample bootstrap CI (``segcls3d evaluate``) of the
   head and of g, and the mean Dice on the positive test images.

One JSON record per (dim, seed, regime, method) in ``--out/records`` (resumable: finished runs are
skipped); ``results.md`` is rewritten after each run. ``--schedule _smoke`` (2 x 10 iterations, the
tests' schedule) checks the whole chain in minutes.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import pandas as pd
from regimes import REGIMES, Task, dataset_id_for, make_task, prepare_regime
from report import write_report
from sklearn.metrics import accuracy_score

from segcls3d.evaluate import evaluate_predictions
from segcls3d.experiments.plan.suites import CPU_SUITE
from segcls3d.experiments.run import steps
from segcls3d.io.records import RecordFolder
from segcls3d.labels import CaseLabels
from segcls3d.labels.case_labels import raw_case_ids
from segcls3d.model.heads import DEFAULT_POOLING
from segcls3d.pipeline import NnUNetPaths
from segcls3d.predict.run import predict_folder
from segcls3d.summarize import RuleBasedSummarizer

ROOT = Path(__file__).resolve().parents[2]
TEST_TRAINERS = ROOT / "tests" / "trainers"  # the ``_smoke`` schedules
METHODS = {"MultiMix": "nnUNetTrainerMultiMix", "Multitask": "nnUNetTrainerMultitask",
           "SegCls": "nnUNetTrainerSegCls", "Cls": "nnUNetTrainerCls"}
logger = logging.getLogger("multimix")


def test_metrics(csv: Path, labels: CaseLabels, masks: Path | None, reference: Path, class_name: str) -> dict:
    """Accuracy and AUROC per score source (``head``, ``summarizer`` = g) and the Dice of one prediction folder."""
    result = evaluate_predictions(csv, labels, **({"pred_masks": masks, "gt_masks": reference} if masks else {}),
                                  n_bootstrap=1000, seed=0)
    table = pd.read_csv(csv, dtype={"case_id": str})
    truth = [int(labels[c][0]) for c in table["case_id"]]
    entry = result.classes[class_name]
    out: dict = {}
    for source, metrics in entry.sources.items():
        accuracy = accuracy_score(truth, table[metrics.label_column]) if metrics.label_column else None
        out[source] = {"accuracy": accuracy, "auroc": metrics.auroc.value, "auroc_ci": [metrics.auroc.ci_lower,
                                                                                         metrics.auroc.ci_upper]}
    if entry.masks is not None:
        out["dice_positive"] = entry.masks.dice_mean_gt_positive
    return out


def run_one(prepared: steps.PreparedDataset, trainer: str, task: Task, device: str, work: Path) -> dict:
    """Train one method on fold 0, predict both test sets, evaluate them."""
    started = time.time()
    folder = steps.train_job(prepared, trainer, [0], npz=False, device=device,
                             log_dir=work / "logs" / prepared.name / trainer)
    seconds = time.time() - started
    model = steps.load_for_prediction(folder, [0], device, mirroring=False)
    target = float(CPU_SUITE.base[task.dim]["target_size"])
    summarizer = RuleBasedSummarizer(0.5, CPU_SUITE.rule_tau(task.dim, target), tau_unit="voxels")
    results = {"train_s": round(seconds, 1)}
    for test_set, raw in (("in_domain", task.raw), ("shifted", task.shifted)):
        out = work / "predictions" / prepared.name / trainer / test_set
        report = predict_folder(model, raw / "imagesTs", out, summarizer, overwrite=True)
        masks = out if model.kind != "classifier" else None
        labels = CaseLabels.from_raw_dataset(raw).subset(raw_case_ids(raw, "imagesTs"))
        results[test_set] = test_metrics(report.csv_path, labels, masks, raw / "labelsTs", task.class_name)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=ROOT / "work_dirs" / "multimix", help="nnU-Net folders")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "multimix" / "results")
    parser.add_argument("--dims", type=int, nargs="+", choices=(2, 3), default=[2, 3])
    parser.add_argument("--seeds", type=int, nargs="+", choices=range(25), default=[0, 1, 2], metavar="SEED")
    parser.add_argument("--regimes", nargs="+", choices=list(REGIMES), default=list(REGIMES))
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(METHODS))
    parser.add_argument("--schedule", default="_exp", help="trainer suffix: _exp (default), _demo, _5epochs, "
                                                           "'' (nnU-Net's 1000 epochs), _smoke (tests' 2 x 10)")
    parser.add_argument("--n-train", type=int, default=80)
    parser.add_argument("--n-val", type=int, default=20)
    parser.add_argument("--n-test", type=int, default=40)
    parser.add_argument("--few-masks", type=int, default=8, help="training cases with a mask when masks are few")
    parser.add_argument("--few-labels", type=int, default=16, help="training cases with a class label when few")
    parser.add_argument("--shift-noise", type=float, default=30.0,
                        help="noise of the domain-shift test set (the task's is %g)" % CPU_SUITE.base[2]["noise"])
    parser.add_argument("--preset", default="cpu_tiny", help="plans preset of every regime's dataset")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    paths = NnUNetPaths.under(args.work / "nnunet")
    paths.apply()
    os.environ["nnUNet_extTrainer"] = os.pathsep.join([os.environ["nnUNet_extTrainer"], str(TEST_TRAINERS)])
    os.environ.setdefault("nnUNet_compile", "false")
    store = RecordFolder(args.out / "records")
    sizes = {"n_train": args.n_train, "n_val": args.n_val, "n_test": args.n_test, "few_masks": args.few_masks,
             "few_labels": args.few_labels, "shift_noise": args.shift_noise, "preset": args.preset,
             "schedule": args.schedule}
    failed = 0
    for dim in args.dims:
        for seed in args.seeds:
            runs = {(regime, method): {"dim": dim, "seed": seed, "regime": regime, "method": method,
                                       "trainer": METHODS[method] + args.schedule, **sizes,
                                       **({} if method == "SegCls" else {"head_pooling": DEFAULT_POOLING})}
                    for regime in args.regimes for method in args.methods}
            keys = {k: f"{dim}d_seed{seed}_{k[0]}_{k[1]}" for k in runs}
            if all(store.is_done(keys[k], runs[k]) for k in runs):
                continue
            try:
                task = make_task(dim, seed, dict(CPU_SUITE.base[dim]), args.n_train, args.n_val, args.n_test,
                                 args.shift_noise, args.work)
            except Exception as exc:  # noqa: BLE001 - one failed task must not stop the others
                logger.error("%dD seed %d: generating the task failed: %s", dim, seed, exc)
                failed += 1
                continue
            for regime in args.regimes:
                if all(store.is_done(keys[(regime, m)], runs[(regime, m)]) for m in args.methods):
                    continue
                try:
                    prepared, info = prepare_regime(task, regime, dataset_id_for(dim, seed, regime), args.few_masks,
                                                    args.few_labels, args.preset, args.work)
                except Exception as exc:  # noqa: BLE001
                    logger.error("%dD seed %d %s: preparing failed: %s", dim, seed, regime, exc)
                    failed += 1
                    continue
                for method in args.methods:
                    key, settings = keys[(regime, method)], runs[(regime, method)]
                    if store.is_done(key, settings):
                        continue
                    try:
                        result = run_one(prepared, settings["trainer"], task, args.device, args.work)
                        store.write(key, {"status": "done", "settings": settings, **info, **result})
                    except Exception as exc:  # noqa: BLE001
                        logger.error("%s failed: %s", key, exc)
                        failed += 1
                    write_report(store.read_all(), args.out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
