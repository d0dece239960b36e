"""What the training loader feeds the network: share of patches that show a target, per sampling arm.

    .venv/bin/python benchmarks/convergence/patch_composition.py

Builds nnU-Net's uniform draw (``nnUNetTrainerSegClsUniformSampling``) and SegCls's default (label-aware
sampling, half of each batch foreground-forced) on every dataset that
``run_convergence.py`` prepared, draws 100 training batches from its real nnU-Net loader (with
augmentation, single process) and counts the patches whose target holds a foreground voxel and the
mean foreground fraction. Writes ``results/patch_composition.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import torch
from run_convergence import training_fold  # same folder: the fold the benchmark trains

from segcls3d.io import write_text_atomic
from segcls3d.labels import CaseLabels
from segcls3d.pipeline import NnUNetPaths
from segcls3d.training.segcls import nnUNetTrainerSegCls
from segcls3d.training.uniform_sampling import nnUNetTrainerSegClsUniformSampling

ROOT = Path(__file__).resolve().parents[2]
ARMS = {"uniform": nnUNetTrainerSegClsUniformSampling, "default": nnUNetTrainerSegCls}
PLANS = "nnUNetPlans_cpu_tiny"


def composition(trainer_class, dataset: Path, configuration: str, fold: int, n_batches: int, seed: int) -> dict:
    """Share of training patches with target voxels and the mean foreground fraction over ``n_batches``."""
    np.random.seed(seed)
    torch.manual_seed(seed)
    plans = json.loads((dataset / f"{PLANS}.json").read_text())
    dataset_json = json.loads((dataset / "dataset.json").read_text())
    trainer = trainer_class({**plans, "continue_training": False}, configuration, fold, dataset_json,
                            torch.device("cpu"))
    trainer.initialize()
    trainer.load_case_labels()
    loader, _ = trainer.get_dataloaders()
    shown, fractions = [], []
    for _ in range(n_batches):
        target = next(loader)["target"]
        target = target[0] if isinstance(target, list) else target
        for sample in target:
            fraction = float((sample > 0).float().mean())
            shown.append(fraction > 0)
            fractions.append(fraction)
    return {"patches_with_target": float(np.mean(shown)), "foreground_fraction": float(np.mean(fractions)),
            "n_patches": len(shown)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=ROOT / "work_dirs" / "convergence")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "convergence" / "results")
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--match", default="Dataset7*_Conv*", help="glob of the prepared datasets to measure")
    args = parser.parse_args(argv)
    paths = NnUNetPaths.under(args.work / "nnunet")
    paths.apply()
    os.environ.update(nnUNet_n_proc_DA="0", nnUNet_compile="false", nnUNet_results=str(args.work / "composition"))
    rows = []
    for dataset in sorted(paths.preprocessed.glob(args.match)):
        configuration = "2d" if "Conv2D" in dataset.name else "3d_fullres"
        splits = json.loads((dataset / "splits_final.json").read_text())
        fold = training_fold(splits, CaseLabels.from_raw_dataset(paths.raw / dataset.name))
        cells = [composition(arm, dataset, configuration, fold, args.batches, seed=0) for arm in ARMS.values()]
        rows.append(f"| {dataset.name} | {fold} | " + " | ".join(
            f"{c['patches_with_target']:.3f} | {c['foreground_fraction']:.4f}" for c in cells) + " |")
    lines = ["# Training patches that show a target (real nnU-Net loaders, 100 batches, augmentation on)", "",
             "| dataset | fold | uniform: patches with target | uniform: foreground fraction | "
             "default (label-aware): patches with target | default (label-aware): foreground fraction |",
             "|---|---|---|---|---|---|",
             *rows]
    write_text_atomic(args.out / "patch_composition.md", "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
