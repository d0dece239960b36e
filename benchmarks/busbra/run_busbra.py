"""Real-data benchmark on BUS-BRA: seg-for-class vs classification, with all and with 10% of the images.

    .venv/bin/python benchmarks/busbra/run_busbra.py --folds 0 --regimes full limited

Steps (each resumable; a re-run skips what is done with the same settings):

1. ``dataset_conversion/Dataset615_BUSBRA.py`` writes two raw datasets from ../shared/data/busbra:
   Dataset615_BUSBRA (layout ``malignant``: the lesion of malignant images only) and
   Dataset616_BUSBRALesions (layout ``lesions``: benign lesion = 1, malignant = 2), both with the
   official patient-grouped folds (nnU-Net folds 0-4) and 10% subsets of their training parts
   (folds 5-9, stratified by class, grouped by patient).
2. nnU-Net plans and preprocesses them (2d) and the ``cpu_small`` preset is applied (same plans,
   folds and schedule for every method).
3. ``nnUNetv2_train`` per method; nnU-Net's final validation on the held-out official fold gives
   ``validation/classification.csv`` (checkpoint_final: never a checkpoint chosen on those cases).
4. ``segcls3d evaluate``'s metrics on it: AUROC with a 1000-resample bootstrap CI, balanced accuracy
   at the Youden point, and the Dice of the malignant lesion on the malignant images.

One JSON record per (regime, fold, method) in ``--out``; ``results.md`` is rewritten after each run,
and each run's training curves (``progress.png``) are copied next to it.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from segcls3d.evaluate import evaluate_predictions
from segcls3d.io import write_text_atomic
from segcls3d.io.records import RecordFolder
from segcls3d.labels import CaseLabels
from segcls3d.model.heads import DEFAULT_POOLING
from segcls3d.pipeline import NnUNetPaths, model_folder, plan_and_preprocess, train
from segcls3d.plans import write_preset_plans

ROOT = Path(__file__).resolve().parents[2]
BUSBRA = ROOT.parent / "shared" / "data" / "busbra"
PRESET = "cpu_small"
CONFIGURATION = "2d"
LIMITED_FRACTION = 0.1
BENCH_TRAINERS = Path(__file__).resolve().parent / "trainers"  # the benchmark-only ``_busbra`` schedule
logger = logging.getLogger("busbra")


@dataclass(frozen=True)
class Layout:
    dataset_id: int
    name: str
    layout: str
    malignant_label: int


LAYOUTS = {"malignant": Layout(615, "Dataset615_BUSBRA", "malignant", 1),
           "lesions": Layout(616, "Dataset616_BUSBRALesions", "lesions", 2)}
#: method -> (layout, trainer, score sources reported)
METHODS = {
    "segcls_malignant": ("malignant", "nnUNetTrainerSegCls", ("summarizer",)),
    "segcls_lesions": ("lesions", "nnUNetTrainerSegCls", ("summarizer",)),
    "cls": ("malignant", "nnUNetTrainerCls", ("head",)),
    "multitask": ("lesions", "nnUNetTrainerMultitask", ("summarizer", "head")),
}
REGIMES = {"full": 0, "limited": 5}  # nnU-Net fold offset


def prepare(paths: NnUNetPaths) -> str:
    """Convert both layouts, plan/preprocess 2d, apply the preset; return the plans identifier."""
    plans = ""
    for layout in LAYOUTS.values():
        subprocess.run([sys.executable, str(ROOT / "dataset_conversion" / "Dataset615_BUSBRA.py"), "--busbra",
                        str(BUSBRA), "--layout", layout.layout, "--limited-fraction", str(LIMITED_FRACTION),
                        "-o", str(paths.raw / layout.name), "-np", "2"], check=True)
        if not any((paths.preprocessed / layout.name).glob(f"*_{CONFIGURATION}")):
            plan_and_preprocess(layout.dataset_id, (CONFIGURATION,), num_processes=2)
        plans = write_preset_plans(layout.name, PRESET).stem
    return plans


def settings(method: str, regime: str, fold: int, schedule: str, plans: str) -> dict:
    layout, trainer, sources = METHODS[method]
    head = {"head_pooling": DEFAULT_POOLING} if "head" in sources else {}  # records without it: average-only heads
    return {"method": method, "regime": regime, "fold": fold, "nnunet_fold": fold + REGIMES[regime],
            "dataset": LAYOUTS[layout].name, "trainer": trainer + schedule, "plans": plans,
            "configuration": CONFIGURATION, "limited_fraction": LIMITED_FRACTION if regime == "limited" else 1.0,
            **head}


def run_one(paths: NnUNetPaths, run: dict, device: str, curves: Path) -> dict:
    """Train (unless a final checkpoint exists), evaluate the held-out fold, return the record."""
    layout = LAYOUTS[METHODS[run["method"]][0]]
    folder = model_folder(paths.results, layout.name, run["trainer"], run["plans"], CONFIGURATION)
    fold_dir = folder / f"fold_{run['nnunet_fold']}"
    started = time.time()
    if not (fold_dir / "validation" / "classification.csv").is_file():
        log = paths.results / f"{layout.name}_{run['trainer']}_fold{run['nnunet_fold']}.log"
        extra = ("--c",) if (fold_dir / "checkpoint_latest.pth").is_file() else ()
        train(layout.dataset_id, CONFIGURATION, run["nnunet_fold"], run["trainer"], run["plans"], device,
              extra_args=extra, log_file=log)
    seconds = time.time() - started
    splits = json.loads((paths.preprocessed / layout.name / "splits_final.json").read_text())[run["nnunet_fold"]]
    labels = CaseLabels.from_raw_dataset(paths.raw / layout.name, ["malignant"])
    masks = {} if run["method"] == "cls" else dict(pred_masks=fold_dir / "validation",
                                                   gt_masks=paths.raw / layout.name / "labelsTr",
                                                   class_label_ids={"malignant": [layout.malignant_label]})
    result = evaluate_predictions(fold_dir / "validation" / "classification.csv", labels, n_bootstrap=1000, seed=0,
                                  **masks)
    malignant = result.classes["malignant"]
    scores = {}
    for source in METHODS[run["method"]][2]:
        entry = malignant.sources[source]
        scores[source] = {"auroc": entry.auroc.to_dict(),
                          "balanced_accuracy_youden": entry.youden.balanced_accuracy.to_dict(), "n": entry.n,
                          "n_positive": entry.n_positive}
    dice = malignant.masks.dice_mean_gt_positive if malignant.masks is not None else None
    if (fold_dir / "progress.png").is_file():
        curves.mkdir(parents=True, exist_ok=True)
        schedule = run["trainer"].rsplit("_", 1)[-1]
        name = f"{run['regime']}_fold{run['fold']}_{run['method']}_{schedule}.png"
        shutil.copy(fold_dir / "progress.png", curves / name)
    return {"status": "done", "settings": run, "n_train": len(splits["train"]), "n_val": len(splits["val"]),
            "scores": scores, "dice_malignant": dice, "train_and_validation_s": round(seconds, 1)}


def write_report(records: dict[str, dict], out: Path) -> Path:
    """results.md: one row per run and score source."""
    def cell(entry: dict) -> str:
        if entry.get("value") is None:
            return "n/a"
        ci = f" [{entry['ci_lower']:.3f}, {entry['ci_upper']:.3f}]" if entry.get("ci_lower") is not None else ""
        return f"{entry['value']:.3f}{ci}"

    lines = ["# BUS-BRA: seg-for-class vs classification (held-out official folds)", "",
             "| regime | fold | method | score | AUROC [95% CI] | balanced accuracy at Youden [95% CI] | "
             "Dice malignant | train images | time (s) |", "|---|---|---|---|---|---|---|---|---|"]
    for record in sorted(records.values(), key=lambda r: (r["settings"]["regime"], r["settings"]["fold"],
                                                          r["settings"]["method"])):
        s = record["settings"]
        for source, entry in record["scores"].items():
            dice = record.get("dice_malignant")
            lines.append(f"| {s['regime']} | {s['fold'] + 1} | {s['method']} ({s['trainer']}) | {source} | "
                         f"{cell(entry['auroc'])} | {cell(entry['balanced_accuracy_youden'])} | "
                         f"{'n/a' if dice is None else f'{dice:.3f}'} | {record['n_train']} | "
                         f"{record['train_and_validation_s']:.0f} |")
    return write_text_atomic(out / "results.md", "\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=ROOT / "work_dirs" / "busbra" / "nnunet", help="nnU-Net folders")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "busbra" / "results")
    parser.add_argument("--folds", type=int, nargs="+", default=[0], help="official folds 0-4 (= 1-5)")
    parser.add_argument("--regimes", nargs="+", choices=list(REGIMES), default=list(REGIMES))
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(METHODS))
    parser.add_argument("--schedule", default="_busbra",
                        help="trainer suffix: _busbra (100x50 iterations, default), _busbra3e2 (the same at "
                             "learning rate 3e-2), _busbra3e2long (300x50 at 3e-2), _demo (30x50), _5epochs, ''")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    paths = NnUNetPaths.under(args.work)
    paths.apply()
    os.environ["nnUNet_extTrainer"] = os.pathsep.join([os.environ["nnUNet_extTrainer"], str(BENCH_TRAINERS)])
    plans = prepare(paths)
    store = RecordFolder(args.out / "records")
    failed = 0
    for regime in args.regimes:
        for fold in args.folds:
            for method in args.methods:
                run = settings(method, regime, fold, args.schedule, plans)
                key = f"{regime}_fold{fold}_{method}{args.schedule}"
                if store.is_done(key, run):
                    continue
                try:
                    store.write(key, run_one(paths, run, args.device, args.out / "curves"))
                except Exception as exc:  # noqa: BLE001 - one failed run must not stop the others
                    logger.error("%s failed: %s", key, exc)
                    failed += 1
                write_report(store.read_all(), args.out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
