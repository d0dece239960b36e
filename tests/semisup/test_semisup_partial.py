"""Partial supervision dataset writing: rules, files, dataset.json, labels, log, resume, nnU-Net's check."""
from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk
from semisup_fake_data import SPACING_XYZ, lesion_mask, make_raw_dataset

from segcls3d.cli.main import main
from segcls3d.errors import InputDataError
from segcls3d.labels import CaseLabels, ClassDefinition
from segcls3d.pseudolabels.partial import partial_action, write_partial_dataset

CASES = {
    "masked_pos": lesion_mask(),                   # mask, CSV positive
    "masked_norow": lesion_mask(at=(0, 0, 0)),     # mask, no CSV row: label from the mask
    "neg": None,                                   # no mask, negative -> background
    "pos": None,                                   # no mask, positive -> excluded / ignore
    "unknown": None,                               # no mask, empty label -> excluded / ignore
}
LABELS = {"masked_pos": {"lesion": 1}, "neg": {"lesion": 0}, "pos": {"lesion": 1}, "unknown": {"lesion": None}}


@pytest.fixture
def raw(tmp_path):
    return make_raw_dataset(tmp_path / "Dataset900_Src", CASES, LABELS, test_cases={"t1": lesion_mask()})


def _read(path):
    return sitk.GetArrayFromImage(sitk.ReadImage(str(path)))


@pytest.mark.parametrize("label, positives, expected", [
    ([0.0], "exclude", "background"), ([0.0], "ignore", "background"),
    ([1.0], "exclude", "excluded"), ([1.0], "ignore", "ignore"),
    ([np.nan], "exclude", "excluded"), ([np.nan], "ignore", "ignore"),
])
def test_partial_action_single_class(label, positives, expected):
    assert partial_action(np.array(label), [ClassDefinition("lesion", (1,))], positives)[0] == expected


def test_partial_action_ignores_classification_only_classes():
    classes = [ClassDefinition("lesion", (1,)), ClassDefinition("report", ())]
    assert partial_action(np.array([0.0, 1.0]), classes, "ignore")[0] == "background"
    assert partial_action(np.array([0.0, np.nan, 1.0]), classes + [ClassDefinition("b", (2,))], "ignore")[0] == "ignore"


def test_exclude_writes_the_dataset(raw, tmp_path):
    out = tmp_path / "Dataset901_Partial"
    records = {r.case_id: r for r in write_partial_dataset(raw, out, "exclude", progress=False)}
    assert {k: r.action for k, r in records.items()} == {
        "masked_pos": "labeled", "masked_norow": "labeled", "neg": "background", "pos": "excluded",
        "unknown": "excluded"}
    dataset = json.loads((out / "dataset.json").read_text())
    assert dataset["numTraining"] == 3 and "ignore" not in dataset["labels"]
    assert sorted(p.name for p in (out / "labelsTr").iterdir()) == ["masked_norow.nii.gz", "masked_pos.nii.gz",
                                                                     "neg.nii.gz"]
    assert not (out / "imagesTr" / "pos_0000.nii.gz").exists()
    # images are hard links of the originals; the negative's mask is background on the image grid
    assert os.path.samefile(out / "imagesTr" / "neg_0000.nii.gz", raw / "imagesTr" / "neg_0000.nii.gz")
    neg = sitk.ReadImage(str(out / "labelsTr" / "neg.nii.gz"))
    assert np.allclose(neg.GetSpacing(), SPACING_XYZ) and not _read(out / "labelsTr" / "neg.nii.gz").any()
    labels = CaseLabels.from_raw_dataset(out)
    assert sorted(labels.case_ids) == ["masked_norow", "masked_pos", "neg", "t1"]
    assert labels["masked_norow"][0] == 1.0 and labels["neg"][0] == 0.0
    log = pd.read_csv(out / "pseudolabel_log.csv")
    assert list(log.columns) == ["case_id", "mode", "action", "voxels", "reason"]
    assert log.set_index("case_id").loc["masked_pos", "voxels"] == 1
    for name in ("imagesTs/t1_0000.nii.gz", "labelsTs/t1.nii.gz"):  # the test split is linked, not copied
        assert os.path.samefile(out / name, raw / name)


def test_ignore_adds_the_ignore_label_and_resumes(raw, tmp_path):
    from nnunetv2.experiment_planning.verify_dataset_integrity import verify_dataset_integrity

    out = tmp_path / "Dataset902_Ignore"
    assert main(["pseudolabel", "partial", "--raw", str(raw), "-o", str(out), "--positives", "ignore"]) == 0
    dataset = json.loads((out / "dataset.json").read_text())
    assert dataset["labels"]["ignore"] == 2 and dataset["numTraining"] == 5
    assert (_read(out / "labelsTr" / "pos.nii.gz") == 2).all()
    assert (_read(out / "labelsTr" / "unknown.nii.gz") == 2).all()
    assert not _read(out / "labelsTr" / "neg.nii.gz").any()
    labels = CaseLabels.from_raw_dataset(out)
    assert labels["pos"][0] == 1.0 and np.isnan(labels["unknown"][0])
    verify_dataset_integrity(str(out), num_processes=1)

    # resume: a deleted mask is rewritten, the other files are kept as they are
    (out / "labelsTr" / "pos.nii.gz").unlink()
    mtime = (out / "labelsTr" / "neg.nii.gz").stat().st_mtime_ns
    write_partial_dataset(raw, out, "ignore", progress=False)
    assert (_read(out / "labelsTr" / "pos.nii.gz") == 2).all()
    assert (out / "labelsTr" / "neg.nii.gz").stat().st_mtime_ns == mtime
    with pytest.raises(InputDataError, match=r"other settings \(positives: 'ignore' -> 'exclude'\); rerun with"):
        write_partial_dataset(raw, out, "exclude", progress=False)
    assert main(["pseudolabel", "partial", "--raw", str(raw), "-o", str(out), "--positives", "exclude"]) == 2
    records = write_partial_dataset(raw, out, "exclude", overwrite=True, progress=False)
    assert sum(r.included for r in records) == 3
    assert not (out / "labelsTr" / "pos.nii.gz").exists()


def test_output_must_differ_from_input(raw):
    with pytest.raises(InputDataError, match="must differ"):
        write_partial_dataset(raw, raw, "exclude", progress=False)
