"""The semi-supervised experiment (Fig. 7 / Table A8): label subsets, nnU-Net splits, partial sources, its runs.

The runner test replaces the nnU-Net steps by fakes (no training); the real pseudo-labelling and
training path is covered by tests/semisup/test_semisup_e2e.py.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from experiment_fakes import ENV_KEYS, FakeSteps

from segcls3d.errors import InputDataError
from segcls3d.experiments.plan import DatasetRegistry, build_plan, get_suite, with_overrides
from segcls3d.experiments.run import run_plan
from segcls3d.experiments.run import steps as steps_module
from segcls3d.labels import CaseLabels, write_case_labels
from segcls3d.pseudolabels.label_subset import labeled_subset, n_labeled, register_split, write_partial_source


# ----------------------------------------------------------------------------- labeled subsets
def test_n_labeled_bounds():
    assert n_labeled(80, 0.1) == 8 and n_labeled(80, 0.25) == 20 and n_labeled(80, 1.0) == 80
    assert n_labeled(10, 0.01) == 2 and n_labeled(3, 0.9) == 3
    with pytest.raises(ValueError):
        n_labeled(10, 0.0)
    with pytest.raises(ValueError):
        n_labeled(10, 1.5)


def test_labeled_subset_is_stratified_deterministic_and_nested_in_the_cases():
    ids = [f"case{i:03d}" for i in range(100)]
    labels = {c: float(i < 20) for i, c in enumerate(ids)}  # 20% positives
    subset = labeled_subset(ids, labels, 0.1, seed=3)
    assert len(subset) == 10 and subset == sorted(subset) and set(subset) <= set(ids)
    assert sum(labels[c] for c in subset) == 2  # the class balance of the whole set
    assert labeled_subset(ids, labels, 0.1, seed=3) == subset
    assert labeled_subset(ids, labels, 0.1, seed=4) != subset
    assert labeled_subset(ids, labels, 1.0, seed=3) == ids


def test_labeled_subset_keeps_a_rare_class_and_unknown_labels():
    ids = [f"c{i}" for i in range(40)]
    labels = {c: (1.0 if i == 0 else 0.0) for i, c in enumerate(ids)}
    labels["c39"] = float("nan")
    subset = labeled_subset(ids, labels, 0.1, seed=0)
    assert len(subset) == 4 and "c0" in subset and "c39" in subset  # every stratum gets at least one


# ----------------------------------------------------------------------------- nnU-Net splits
def test_register_split_appends_once_and_keeps_existing_folds(tmp_path):
    path = tmp_path / "splits_final.json"
    original = [{"train": ["a", "b", "c", "d"], "val": ["e"]}]
    path.write_text(json.dumps(original))
    assert register_split(path, ["d", "c", "b", "a"], ["e"]) == 0  # equal as sets: fold 0
    assert register_split(path, ["b", "a"], ["e"]) == 1
    assert register_split(path, ["c", "a"], ["e"]) == 2
    assert register_split(path, ["a", "b"], ["e"]) == 1
    splits = json.loads(path.read_text())
    assert splits[0] == original[0] and splits[1] == {"train": ["a", "b"], "val": ["e"]} and len(splits) == 3
    with pytest.raises(InputDataError, match="plan and preprocess"):
        register_split(tmp_path / "missing.json", ["a"], ["e"])


def _raw_dataset(root: Path, n_train: int = 6, n_test: int = 2) -> Path:
    """A raw dataset with one-voxel-file stand-ins (names and links are what matters here)."""
    raw = root / "Dataset900_Tiny"
    for sub in ("imagesTr", "labelsTr", "imagesTs", "labelsTs"):
        (raw / sub).mkdir(parents=True)
    for i in range(n_train):
        (raw / "imagesTr" / f"synth_{i:04d}_0000.nii.gz").write_bytes(b"img%d" % i)
        (raw / "labelsTr" / f"synth_{i:04d}.nii.gz").write_bytes(b"seg%d" % i)
    for i in range(n_test):
        (raw / "imagesTs" / f"synth_test_{i:04d}_0000.nii.gz").write_bytes(b"timg")
        (raw / "labelsTs" / f"synth_test_{i:04d}.nii.gz").write_bytes(b"tseg")
    (raw / "dataset.json").write_text(json.dumps({"channel_names": {"0": "x"}, "labels": {"background": 0, "target": 1},
                                                  "numTraining": n_train, "file_ending": ".nii.gz"}))
    labels = {f"synth_{i:04d}": {"target": i % 2} for i in range(n_train)}
    labels.update({f"synth_test_{i:04d}": {"target": i % 2} for i in range(n_test)})
    write_case_labels(raw / "classification_labels.csv", labels, ["target"])
    return raw


def test_partial_source_keeps_only_the_labeled_masks_and_hides_unknown_labels(tmp_path):
    raw = _raw_dataset(tmp_path)
    keep = ["synth_0000", "synth_0003"]
    labels = {f"synth_{i:04d}": {"target": (i % 2 if f"synth_{i:04d}" in keep else None)} for i in range(6)}
    out = write_partial_source(raw, tmp_path / "partial", keep, labels, ["target"])
    assert sorted(p.name for p in (out / "labelsTr").iterdir()) == ["synth_0000.nii.gz", "synth_0003.nii.gz"]
    assert len(list((out / "imagesTr").iterdir())) == 6 and len(list((out / "imagesTs").iterdir())) == 2
    image = out / "imagesTr" / "synth_0001_0000.nii.gz"
    assert os.path.samefile(image, raw / "imagesTr" / "synth_0001_0000.nii.gz")  # linked, not copied
    table = CaseLabels.load(out / "classification_labels.csv", ["target"])
    assert table["synth_0003"][0] == 1 and np.isnan(table["synth_0001"][0])
    # a second call with another subset removes masks that are no longer labeled
    write_partial_source(raw, tmp_path / "partial", ["synth_0000"], labels, ["target"])
    assert [p.name for p in (out / "labelsTr").iterdir()] == ["synth_0000.nii.gz"]
    with pytest.raises(InputDataError, match="synth_0009"):
        write_partial_source(raw, tmp_path / "other", ["synth_0009"], labels, ["target"])


# ----------------------------------------------------------------------------- runner with fakes
class SemisupFakes(FakeSteps):
    """FakeSteps plus training cases, nnU-Net splits and the pseudo-labelled datasets."""

    def __init__(self, root: Path):
        super().__init__(root)
        self.calls["pseudolabel"] = []
        self.sources: list[Path] = []

    def prepare_dataset(self, spec, dataset_id, name, preset, work_dir):
        prepared = super().prepare_dataset(spec, dataset_id, name, preset, work_dir)
        raw = prepared.raw
        n = spec.n_train + spec.n_val
        for sub in ("imagesTr", "labelsTr", "imagesTs"):
            (raw / sub).mkdir(exist_ok=True)
        for i in range(n):
            (raw / "imagesTr" / f"synth_{i:04d}_0000.nii.gz").write_bytes(b"x")
            (raw / "labelsTr" / f"synth_{i:04d}.nii.gz").write_bytes(b"y")
        for i in range(10):
            (raw / "imagesTs" / f"synth_test_{i:04d}_0000.nii.gz").write_bytes(b"t")
        (raw / "dataset.json").write_text(json.dumps({"channel_names": {"0": "x"}, "file_ending": ".nii.gz",
                                                      "labels": {"background": 0, "target": 1}, "numTraining": n}))
        labels = {f"synth_test_{i:04d}": {"target": int(i < 5)} for i in range(10)}
        labels.update({f"synth_{i:04d}": {"target": i % 2} for i in range(n)})
        write_case_labels(raw / "classification_labels.csv", labels, ["target"])
        splits = Path(os.environ["nnUNet_preprocessed"]) / name / "splits_final.json"
        if not splits.is_file():
            splits.parent.mkdir(parents=True, exist_ok=True)
            splits.write_text(json.dumps(spec.splits()))
        return prepared

    def make_pseudolabel_dataset(self, mode, teacher_folder, teacher_fold, source_raw, dataset_id, name,
                                 configuration, preset, splits, device, work_dir):
        self.calls["pseudolabel"].append((mode, teacher_folder.name, teacher_fold, name))
        self.sources.append(Path(source_raw))
        unlabeled = sorted(p.name[:-12] for p in (Path(source_raw) / "imagesTr").iterdir()
                           if not (Path(source_raw) / "labelsTr" / f"{p.name[:-12]}.nii.gz").exists())
        records = [{"case_id": c, "action": "excluded" if mode == "boosted" and i == 0 else "pseudo_mask"}
                   for i, c in enumerate(unlabeled)]
        return (steps_module.PreparedDataset(dataset_id, name, self.root / "raw" / name, "nnUNetPlans_cpu_tiny",
                                             configuration, self.root / "results"), records)


@pytest.fixture()
def fake(monkeypatch, tmp_path):
    for key in ENV_KEYS:
        monkeypatch.setenv(key, "unset-by-test")
    fake = SemisupFakes(tmp_path / "fake")
    for name in ("prepare_dataset", "train_job", "make_summarizer", "load_for_prediction", "predict_and_evaluate",
                 "make_pseudolabel_dataset"):
        monkeypatch.setattr(steps_module, name, getattr(fake, name))
    return fake


def _suite(fractions=(0.1, 1.0)):
    return with_overrides(get_suite("cpu"), experiment="semisup", values=fractions)


def _run(fractions, dim, seed, out):
    plan = build_plan(_suite(fractions), ["i"], [dim], [seed], out, DatasetRegistry(out / "datasets.json"))
    return run_plan(plan, device="cpu")


def test_runs_have_no_students_at_full_labels_and_share_the_default_models(tmp_path):
    plan = build_plan(_suite((0.1, 0.25, 1.0)), ["i", "a"], [3], [0, 1], tmp_path, DatasetRegistry(None))
    semisup = [r for r in plan.runs if r.experiment == "semisup"]
    assert len(semisup) == 2 * (4 + 4 + 2)
    assert {r.method.name for r in semisup if r.value == 1.0} == {"cls", "segcls_g"}
    default = {r.job_key for r in plan.runs if r.experiment == "training_size" and r.value == 80}
    assert {r.job_key for r in semisup if r.value == 1.0} < default  # f = 1: the models of experiment a
    student = plan.jobs[next(r.job_key for r in semisup if r.method.name == "segcls_boosted" and r.value == 0.1)]
    assert (student.trainer, student.label_fraction, student.pseudolabel) == ("nnUNetTrainerSegCls_exp", 0.1, "boosted")
    assert plan.job_dir(student).name == "nnUNetTrainerSegCls_exp__nnUNetPlans_cpu_tiny__f0.1_boosted"


def test_runner_trains_on_the_subset_fold_pseudolabels_from_the_teacher_and_resumes(fake, tmp_path):
    out = tmp_path / "out"
    summary = _run((0.1, 1.0), 2, 0, out)
    assert summary.n_runs == 6 and summary.n_written == 6 and not summary.failures

    base = [c for c in fake.calls["prepare"]]
    assert len(base) == 1
    trains = fake.calls["train"]
    # f=0.1: Cls and SegCls on fold 1 (the registered subset), two students on fold 0 of their datasets;
    # f=1: Cls and SegCls on fold 0 of the base dataset
    assert (base[0], "nnUNetTrainerCls_exp", (1,), False) in trains
    assert (base[0], "nnUNetTrainerSegCls_exp", (1,), False) in trains
    assert (base[0], "nnUNetTrainerSegCls_exp", (0,), False) in trains
    students = [t for t in trains if t[0] != base[0]]
    assert len(students) == 2 and all(t[2] == (0,) for t in students)
    assert [(m, folder, fold) for m, folder, fold, _ in fake.calls["pseudolabel"]] == [
        ("plain", "nnUNetTrainerSegCls_exp", 1), ("boosted", "nnUNetTrainerSegCls_exp", 1)]
    splits = json.loads((out / "_nnunet" / "nnUNet_preprocessed" / base[0] / "splits_final.json").read_text())
    assert len(splits) == 2 and len(splits[1]["train"]) == 8 and splits[1]["val"] == splits[0]["val"]

    # plain: unlabeled cases carry no class label; boosted: they keep it; both: 8 + 4 validation masks
    plain, boosted = (CaseLabels.load(s / "classification_labels.csv", ["target"]) for s in fake.sources)
    unlabeled = sorted(set(splits[0]["train"]) - set(splits[1]["train"]))
    assert len(unlabeled) == 72
    assert all(np.isnan(plain[c][0]) for c in unlabeled) and not any(np.isnan(boosted[c][0]) for c in unlabeled)
    assert all(len(list((s / "labelsTr").iterdir())) == 12 for s in fake.sources)

    record = json.loads((out / "semisup" / "2d" / "0.1" / "seed0" / "segcls_boosted.json").read_text())
    assert record["status"] == "ok" and record["experiment"] == "semisup" and record["variable"] == "label_fraction"
    assert record["labels"] == {"seg_and_class": 8, "class_only": 72, "none": 0}
    assert record["rule"] == {"threshold": 0.5, "tau": 25.0, "tau_unit": "voxels"}
    assert record["pseudolabel"]["actions"] == {"excluded": 1, "pseudo_mask": 71}
    assert record["metrics"]["auroc"]["value"] == 1.0  # the fake SegCls model separates the classes
    cls = json.loads((out / "semisup" / "2d" / "0.1" / "seed0" / "cls.json").read_text())
    assert cls["labels"] == {"seg_and_class": 0, "class_only": 8, "none": 0}
    assert cls["metrics"]["auroc"]["value"] == pytest.approx(0.76)
    full = json.loads((out / "semisup" / "2d" / "1" / "seed0" / "segcls_g.json").read_text())
    assert full["labels"] == {"seg_and_class": 80, "class_only": 0, "none": 0} and full["folds"] == [0]

    for calls in fake.calls.values():
        calls.clear()
    again = _run((0.1, 1.0), 2, 0, out)
    assert again.n_already_done == 6 and again.n_written == 0 and not any(fake.calls.values())


def test_runner_records_a_failed_student_and_goes_on(fake, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise InputDataError("teacher predicted nothing")

    monkeypatch.setattr(steps_module, "make_pseudolabel_dataset", broken)
    out = tmp_path / "out"
    summary = _run((0.25,), 3, 1, out)
    assert summary.n_written == 4 and len(summary.failures) == 2
    record = json.loads((out / "semisup" / "3d" / "0.25" / "seed1" / "segcls_semisup.json").read_text())
    assert record["status"] == "failed" and "teacher predicted nothing" in record["error"]
    assert record["failed_step"] == "pseudolabel" and record["labels"] == {"seg_and_class": 20, "class_only": 0,
                                                                           "none": 60}
    assert json.loads((out / "semisup" / "3d" / "0.25" / "seed1" / "segcls_g.json").read_text())["status"] == "ok"
