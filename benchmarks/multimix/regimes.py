"""Data of the MultiMix benchmark: the synthetic task, its domain-shift test set, one dataset per regime.

A regime is Table 2's row shape: masks few|all x class labels few|all among the training cases. The
few-mask and few-label subsets are class-stratified draws (``segcls3d.pseudolabels.label_subset``);
when both are few they are disjoint, as the paper's sources are (CheX has labels, JSRT masks). The
validation cases keep mask and label. ``segcls3d pseudolabel partial --positives ignore --negatives
ignore`` then writes the nnU-Net dataset (no mask -> ignore label everywhere; no class label -> empty
CSV cell), which nnU-Net plans and preprocesses with the plans preset.

Not part of the library: imported by ``run_multimix.py`` (its folder is on ``sys.path``).
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path

from segcls3d.experiments.run.steps import PreparedDataset
from segcls3d.io import write_json_atomic
from segcls3d.labels import CaseLabels
from segcls3d.labels.case_labels import raw_case_ids
from segcls3d.pipeline import plan_and_preprocess
from segcls3d.plans import write_preset_plans
from segcls3d.pseudolabels.label_subset import labeled_subset, write_partial_source
from segcls3d.pseudolabels.partial import write_partial_dataset
from segcls3d.synth import SynthConfig, generate_dataset

REGIMES = {"masks_few-labels_few": (True, True), "masks_few-labels_all": (True, False),
           "masks_all-labels_few": (False, True), "masks_all-labels_all": (False, False)}
MARKER = "prepared.json"


@dataclass(frozen=True)
class Task:
    """One synthetic task (dimension, seed): the full raw dataset and the domain-shift test set."""

    dim: int
    seed: int
    raw: Path
    shifted: Path
    train_ids: list[str]
    val_ids: list[str]
    labels: CaseLabels

    @property
    def class_name(self) -> str:
        return self.labels.classes[0]


def make_task(dim: int, seed: int, synth: dict, n_train: int, n_val: int, n_test: int, shift_noise: float,
              work: Path) -> Task:
    """Generate (or resume) the task and the same test cases at noise ``shift_noise`` (geometry unchanged)."""
    name = f"MultiMix{dim}DS{seed}"
    config = SynthConfig(seed=seed, n_train=n_train + n_val, n_test=n_test, dataset_name=name, **synth)
    raw = generate_dataset(config, work / "source" / name, progress=False)
    shifted_config = dataclasses.replace(config, noise=shift_noise, n_train=1, dataset_name=f"{name}Shift")
    shifted = generate_dataset(shifted_config, work / "source" / f"{name}Shift", progress=False)
    ids = sorted(raw_case_ids(raw, "imagesTr"))
    return Task(dim, seed, raw, shifted, ids[:n_train], ids[n_train:], CaseLabels.from_raw_dataset(raw))


def regime_subsets(task: Task, regime: str, few_masks: int, few_labels: int) -> tuple[list[str], list[str]]:
    """(training cases with a mask, training cases with a class label) of ``regime``; deterministic per seed."""
    masks_few, labels_few = REGIMES[regime]
    column = {c: float(task.labels[c][0]) for c in task.train_ids}
    ids = task.train_ids
    masks = labeled_subset(ids, column, few_masks / len(ids), task.seed) if masks_few else list(ids)
    pool = [c for c in ids if c not in set(masks)] if masks_few and labels_few else ids
    labelled = labeled_subset(pool, column, few_labels / len(pool), task.seed + 1) if labels_few else list(ids)
    return masks, labelled


def prepare_regime(task: Task, regime: str, dataset_id: int, few_masks: int, few_labels: int, preset: str,
                   work: Path) -> tuple[PreparedDataset, dict]:
    """The regime's nnU-Net dataset (raw, preprocessed, fold 0 = the task's split, preset plans) and its sizes."""
    name = f"Dataset{dataset_id:03d}_MM{task.dim}D{regime.replace('_', '').replace('-', '')}S{task.seed}"
    configuration = "2d" if task.dim == 2 else "3d_fullres"
    marker = work / "prepared" / name / MARKER
    if marker.is_file():
        info = json.loads(marker.read_text())
    else:
        masks, labelled = regime_subsets(task, regime, few_masks, few_labels)
        known = set(labelled) | set(task.val_ids) | set(raw_case_ids(task.raw, "imagesTs"))
        rows = {c: {task.class_name: float(task.labels[c][0]) if c in known else None} for c in task.labels.case_ids}
        source = write_partial_source(task.raw, work / "partial_sources" / name, [*masks, *task.val_ids], rows,
                                      task.labels.classes)
        write_partial_dataset(source, Path(os.environ["nnUNet_raw"]) / name, positives="ignore", negatives="ignore",
                              progress=False)
        plan_and_preprocess(dataset_id, (configuration,), num_processes=int(os.environ.get("nnUNet_def_n_proc", 2)))
        splits = [{"train": task.train_ids, "val": task.val_ids}]
        write_json_atomic(Path(os.environ["nnUNet_preprocessed"]) / name / "splits_final.json", splits)
        info = {"plans": write_preset_plans(name, preset).stem, "n_masks": len(masks), "n_labels": len(labelled),
                "n_both": len(set(masks) & set(labelled)), "n_train": len(task.train_ids)}
        write_json_atomic(marker, info)
    prepared = PreparedDataset(dataset_id, name, Path(os.environ["nnUNet_raw"]) / name, info["plans"], configuration,
                               Path(os.environ["nnUNet_results"]))
    return prepared, info


def dataset_id_for(dim: int, seed: int, regime: str, first: int = 800) -> int:
    """nnU-Net id of a regime's dataset in the benchmark's own nnU-Net tree (seeds 0..24)."""
    return first + (dim - 2) * 100 + seed * 4 + list(REGIMES).index(regime)
