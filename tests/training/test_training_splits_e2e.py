"""Stratified folds on real preprocessed datasets: written by the trainer, by `segcls3d splits`, and the warning."""
from __future__ import annotations

import csv
import json
import shutil

from segcls3d.cli.main import main
from segcls3d.labels import CaseLabels
from segcls3d.labels.folds import stratified_folds


def _splits_file(nnunet_paths, dataset):
    return nnunet_paths.preprocessed / dataset.name / "splits_final.json"


def _train_ids(dataset) -> list[str]:
    return sorted(p.name[: -len("_0000.nii.gz")] for p in (dataset.raw / "imagesTr").glob("*_0000.nii.gz"))


def test_trainer_writes_folds_stratified_by_the_labels(tiny_dataset_3d, train_model, nnunet_paths):
    train_model(tiny_dataset_3d, "nnUNetTrainerSegCls_smoke")  # nnU-Net would write a random split here
    splits = json.loads(_splits_file(nnunet_paths, tiny_dataset_3d).read_text())
    labels = CaseLabels.from_raw_dataset(tiny_dataset_3d.raw)
    ids = _train_ids(tiny_dataset_3d)
    assert splits == stratified_folds(ids, labels.batch(ids))
    positives = [sum(labels[c][0] == 1 for c in fold["val"]) for fold in splits]
    assert min(positives) >= 1 and max(positives) - min(positives) <= 1


def test_splits_command_groups_patients_and_keeps_an_existing_file(tiny_dataset_2d, nnunet_paths, tmp_path, capsys):
    path = _splits_file(nnunet_paths, tiny_dataset_2d)
    backup = tmp_path / "backup.json"
    if path.is_file():
        shutil.copyfile(path, backup)
        path.unlink()
    ids = _train_ids(tiny_dataset_2d)
    groups = {c: f"patient_{i // 2}" for i, c in enumerate(ids)}  # two images per patient
    groups_csv = tmp_path / "groups.csv"
    with open(groups_csv, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["case_id", "group"])
        writer.writerows(groups.items())
    try:
        assert main(["splits", "-d", str(tiny_dataset_2d.dataset_id), "--groups", str(groups_csv)]) == 0
        splits = json.loads(path.read_text())
        assert len(splits) == 5
        assert sorted(c for fold in splits for c in fold["val"]) == ids
        for fold in splits:
            assert not {groups[c] for c in fold["train"]} & {groups[c] for c in fold["val"]}
        before = path.read_text()
        assert main(["splits", "-d", tiny_dataset_2d.name, "--folds", "3"]) == 0
        assert path.read_text() == before and "kept the existing" in capsys.readouterr().out
        bad = tmp_path / "bad.csv"
        bad.write_text("case_id,patient\nx,1\n")
        assert main(["splits", "-d", tiny_dataset_2d.name, "--groups", str(bad), "--overwrite"]) == 2
        assert "needs the columns case_id and group" in capsys.readouterr().err
    finally:
        path.unlink(missing_ok=True)
        if backup.is_file():
            shutil.copyfile(backup, path)


def test_training_warns_when_the_validation_fold_has_no_positive(tiny_dataset_2d, nnunet_paths, tmp_path):
    from segcls3d.pipeline import model_folder, train

    path = _splits_file(nnunet_paths, tiny_dataset_2d)
    backup = tmp_path / "backup.json"
    existed = path.is_file()
    if existed:
        shutil.copyfile(path, backup)
    labels = CaseLabels.from_raw_dataset(tiny_dataset_2d.raw)
    ids = _train_ids(tiny_dataset_2d)
    negatives = [c for c in ids if labels[c][0] == 0][:3]
    folds = json.loads(path.read_text()) if existed else stratified_folds(ids, labels.batch(ids))
    folds = folds[:5] + [{"train": [c for c in ids if c not in negatives], "val": negatives}]  # fold 5
    path.write_text(json.dumps(folds))
    try:
        train(tiny_dataset_2d.dataset_id, tiny_dataset_2d.configuration, 5, "nnUNetTrainerSegCls_smoke",
              tiny_dataset_2d.plans, "cpu", log_file=tmp_path / "train.log")
    finally:
        path.unlink()
        if existed:
            shutil.copyfile(backup, path)
    folder = model_folder(nnunet_paths.results, tiny_dataset_2d.name, "nnUNetTrainerSegCls_smoke",
                          tiny_dataset_2d.plans, tiny_dataset_2d.configuration) / "fold_5"
    log = "".join(p.read_text() for p in folder.glob("training_log_*.txt"))
    assert "WARNING: fold 5 has no positive case of class 'target' among its 3 validation cases" in log
    assert (folder / "checkpoint_final.pth").is_file()
