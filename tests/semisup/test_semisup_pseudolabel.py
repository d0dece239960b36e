"""segcls3d pseudolabel with a stand-in teacher whose masks are chosen per case: the per-case rules,
the files and records written, --images/--labels, resume without re-predicting, per-case failures."""
from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk
from semisup_fake_data import lesion_mask, make_raw_dataset, write_image

import segcls3d.pseudolabels.pseudolabel as pseudolabel
from segcls3d.errors import InputDataError, LabelFileError
from segcls3d.labels import CaseLabels, write_case_labels
from segcls3d.labels.soft_targets import load_soft_target

SHAPE = (4, 5, 6)
EMPTY_CASES = {"img_pos_empty"}  # the teacher finds nothing there


def fake_teacher_outputs(calls: list):
    def run(teacher, files, temperature=None):
        from nnunetv2.imageio.simpleitk_reader_writer import SimpleITKIO

        rw = SimpleITKIO()
        image, properties = rw.read_images([str(f) for f in files])
        case = Path(files[0]).name[: -len("_0000.nii.gz")]
        calls.append(case)
        if case == "img_broken":
            raise RuntimeError("teacher crashed")
        mask = np.zeros(image.shape[1:], dtype=np.uint8) if case in EMPTY_CASES else lesion_mask(SHAPE)
        soft = None
        if temperature is not None:
            soft = np.stack([1 - 0.3 * mask, 0.3 * mask]).astype(np.float32)
        return mask, soft, properties, rw
    return run


@pytest.fixture
def setup(tmp_path, monkeypatch):
    cases = {"lab_a": lesion_mask(), "lab_b": np.zeros(SHAPE), "neg_raw": None, "pos_raw": None}
    raw = make_raw_dataset(tmp_path / "Dataset910_Src", cases,
                           {"lab_a": {"lesion": 1}, "lab_b": {"lesion": 0}, "neg_raw": {"lesion": 0},
                            "pos_raw": {"lesion": 1}}, test_cases={"t1": lesion_mask()})
    images = tmp_path / "unlabeled"
    rng = np.random.default_rng(1)
    for case in ("img_pos_empty", "img_unknown", "img_neg"):
        write_image(images / f"{case}_0000.nii.gz", rng.normal(size=SHAPE).astype(np.float32))
    labels = write_case_labels(tmp_path / "extra_labels.csv", {"img_pos_empty": {"lesion": 1}, "img_neg": {"lesion": 0},
                                                               "img_unknown": {"lesion": None}}, ["lesion"])
    calls: list = []
    monkeypatch.setattr(pseudolabel, "teacher_outputs", fake_teacher_outputs(calls))
    teacher = SimpleNamespace(kind="segmentation", folder=tmp_path / "teacher",
                              dataset_json={"labels": {"background": 0, "lesion": 1}})
    return SimpleNamespace(raw=raw, images=images, labels=labels, teacher=teacher, calls=calls,
                           out=tmp_path / "Dataset911_Out")


def _mask(path):
    return sitk.GetArrayFromImage(sitk.ReadImage(str(path)))


def test_boosted_rules_files_and_log(setup):
    from nnunetv2.experiment_planning.verify_dataset_integrity import verify_dataset_integrity

    records = pseudolabel.write_pseudolabel_dataset("boosted", setup.teacher, setup.raw, setup.out, setup.images,
                                                    setup.labels, progress=False)
    actions = {r.case_id: r.action for r in records}
    assert actions == {"lab_a": "labeled", "lab_b": "labeled", "neg_raw": "zeroed", "pos_raw": "pseudo_mask",
                       "img_pos_empty": "excluded", "img_unknown": "pseudo_mask", "img_neg": "zeroed"}
    out = setup.out
    assert not _mask(out / "labelsTr" / "neg_raw.nii.gz").any() and not _mask(out / "labelsTr" / "img_neg.nii.gz").any()
    assert _mask(out / "labelsTr" / "img_unknown.nii.gz").sum() == 1
    assert not (out / "imagesTr" / "img_pos_empty_0000.nii.gz").exists()
    log = pd.read_csv(out / "pseudolabel_log.csv").set_index("case_id")
    assert log.loc["neg_raw", "reason"] == "negative: lesion (1 voxels removed); all-background mask"
    assert log.loc["img_pos_empty", "voxels"] == 0 and log.loc["pos_raw", "voxels"] == 1
    dataset = json.loads((out / "dataset.json").read_text())
    assert dataset["numTraining"] == 6 and dataset["segcls3d"]["pseudo_labels"]["cases"] == 4
    labels = CaseLabels.from_raw_dataset(out)
    assert labels["img_neg"][0] == 0 and np.isnan(labels["img_unknown"][0]) and labels["pos_raw"][0] == 1
    assert labels["t1"][0] == 1  # test case: label derived from its mask in the source
    assert os.path.samefile(out / "imagesTs" / "t1_0000.nii.gz", setup.raw / "imagesTs" / "t1_0000.nii.gz")
    verify_dataset_integrity(str(out), num_processes=1)

    # resume: every case is recorded, nothing is predicted again
    setup.calls.clear()
    pseudolabel.write_pseudolabel_dataset("boosted", setup.teacher, setup.raw, setup.out, setup.images, setup.labels,
                                          progress=False)
    assert setup.calls == []


def test_plain_keeps_teacher_masks_and_soft_writes_soft_targets(setup, tmp_path):
    records = pseudolabel.write_pseudolabel_dataset("plain", setup.teacher, setup.raw, setup.out, progress=False)
    assert {r.case_id: r.action for r in records if r.action != "labeled"} == {"neg_raw": "pseudo_mask",
                                                                               "pos_raw": "pseudo_mask"}
    assert _mask(setup.out / "labelsTr" / "neg_raw.nii.gz").sum() == 1  # plain ignores the negative class label

    soft_out = tmp_path / "Dataset912_Soft"
    pseudolabel.write_pseudolabel_dataset("soft", setup.teacher, setup.raw, soft_out, setup.images, setup.labels,
                                          temperature=4.0, progress=False)
    q = load_soft_target(soft_out / "softTargetsTr" / "img_neg.npz")
    assert q.shape == (2, *SHAPE) and q[1].max() == pytest.approx(0.3, abs=1e-3)
    assert not (soft_out / "softTargetsTr" / "lab_a.npz").exists()
    block = json.loads((soft_out / "dataset.json").read_text())["segcls3d"]["soft_targets"]
    assert block == {"folder": "softTargetsTr", "temperature": 4.0, "nonlinearity": "softmax"}


def test_a_failing_case_is_recorded_and_the_others_go_on(setup):
    write_image(setup.images / "img_broken_0000.nii.gz", np.zeros(SHAPE, np.float32))
    records = pseudolabel.write_pseudolabel_dataset("plain", setup.teacher, setup.raw, setup.out, setup.images,
                                                    progress=False)
    failed = [r for r in records if r.action == "failed"]
    assert [r.case_id for r in failed] == ["img_broken"] and "teacher crashed" in failed[0].reason
    assert not (setup.out / "imagesTr" / "img_broken_0000.nii.gz").exists()
    assert json.loads((setup.out / "dataset.json").read_text())["numTraining"] == 7


def test_user_errors(setup, tmp_path):
    write_image(setup.images / "lab_a_0000.nii.gz", np.zeros(SHAPE, np.float32))
    with pytest.raises(InputDataError, match="already exist"):
        pseudolabel.write_pseudolabel_dataset("plain", setup.teacher, setup.raw, setup.out, setup.images,
                                              progress=False)
    other = SimpleNamespace(**{**vars(setup.teacher), "dataset_json": {"labels": {"background": 0, "liver": 1}}})
    with pytest.raises(LabelFileError, match="predicts labels"):
        pseudolabel.write_pseudolabel_dataset("plain", other, setup.raw, setup.out, progress=False)
    with pytest.raises(InputDataError, match="unknown pseudo-label mode"):
        pseudolabel.write_pseudolabel_dataset("hard", setup.teacher, setup.raw, setup.out, progress=False)
