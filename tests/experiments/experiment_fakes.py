"""Fakes of segcls3d.experiments.run.steps for the runner tests: no nnU-Net, files as the real steps write them."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from segcls3d.errors import SegCls3dError
from segcls3d.evaluate import evaluate_predictions
from segcls3d.experiments.run import steps as steps_module
from segcls3d.labels import write_case_labels

N_TEST = 10  # 5 positives with small targets (radius = target_size), 5 negatives
ENV_KEYS = ("nnUNet_raw", "nnUNet_preprocessed", "nnUNet_results", "nnUNet_extTrainer", "nnUNet_def_n_proc",
            "nnUNet_n_proc_DA", "nnUNet_compile")


class FakeSteps:
    """Stand-ins for steps.*: record calls, write the files the real steps would, fail on request."""

    def __init__(self, root: Path):
        self.root = root
        self.calls: dict[str, list] = {"prepare": [], "train": [], "fit": [], "load": [], "predict": []}
        self.fail_train: set[tuple[str, str]] = set()  # (dataset name, trainer)
        self.fail_prepare: set[str] = set()

    def prepare_dataset(self, spec, dataset_id, name, preset, work_dir):
        self.calls["prepare"].append(name)
        if name in self.fail_prepare:
            raise SegCls3dError(f"{name}: planning failed")
        raw = self.root / "raw" / name
        raw.mkdir(parents=True, exist_ok=True)
        labels = {f"synth_test_{i:04d}": {"target": int(i < 5)} for i in range(N_TEST)}
        write_case_labels(raw / "classification_labels.csv", labels, ["target"])
        radius = spec.synth["target_size"]
        rows = ["case_id,split,label,target_radius"] + [
            f"synth_test_{i:04d},test,{int(i < 5)},{radius if i < 5 else ''}" for i in range(N_TEST)]
        (raw / "synth_metadata.csv").write_text("\n".join(rows) + "\n")
        return steps_module.PreparedDataset(dataset_id, name, raw, "nnUNetPlans_cpu_tiny", spec.configuration,
                                            self.root / "results")

    def train_job(self, prepared, trainer, folds, npz, device, log_dir):
        self.calls["train"].append((prepared.name, trainer, tuple(folds), npz))
        if (prepared.name, trainer) in self.fail_train:
            raise SegCls3dError(f"nnUNetv2_train failed for {trainer} (exit 1):\nRuntimeError: out of memory")
        return self.root / "results" / prepared.name / trainer

    def make_summarizer(self, method, folder, prepared, folds, epochs, seed, device, cache_dir, rule_tau=10.0):
        self.calls["fit"].append((prepared.name, method.summarizer_id, rule_tau))
        return method.summarizer_id

    def load_for_prediction(self, folder, folds, device, mirroring):
        self.calls["load"].append((folder.name, tuple(folds), mirroring))
        return folder.name

    def predict_and_evaluate(self, model, prepared, summarizer, out_dir):
        self.calls["predict"].append((prepared.name, model, summarizer))
        y = np.array([1] * 5 + [0] * 5)
        good = "SegCls" in model  # the fake segmentation model separates the classes, the others less so
        scores = np.where(y == 1, 0.9, 0.1) if good else np.array([0.6, 0.4, 0.7, 0.3, 0.8, 0.5, 0.2, 0.6, 0.1, 0.4])
        table = pd.DataFrame({"case_id": [f"synth_test_{i:04d}" for i in range(N_TEST)]})
        if model.startswith("nnUNetTrainerCls"):  # like segcls3d predict: a classifier's output is the head
            table["target_head_probability"] = scores
            table["target_head_label"] = (scores >= 0.5).astype(int)
        else:
            table["target_probability"] = scores
            table["target_label"] = (scores >= 0.5).astype(int)
        if "Multitask" in model:
            table["target_head_probability"] = scores[::-1]
            table["target_head_label"] = (scores[::-1] >= 0.5).astype(int)
        out_dir.mkdir(parents=True, exist_ok=True)
        table.to_csv(out_dir / "classification.csv", index=False)
        result = evaluate_predictions(out_dir / "classification.csv", prepared.raw / "classification_labels.csv",
                                      n_bootstrap=20, seed=0)
        return steps_module.Evaluation(result, out_dir / "classification.csv", 0)
