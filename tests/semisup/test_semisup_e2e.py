"""End to end on the tiny 3D dataset with half of the training masks removed:
teacher (nnUNetTrainerSegCls_smoke) -> segcls3d pseudolabel boosted/soft -> nnU-Net plan/preprocess ->
training (_smoke) -> segcls3d predict."""
from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk
from semisup_e2e_support import partial_source, train_in_process

from segcls3d.cli.main import main
from segcls3d.labels import CaseLabels

KEEP = 8  # training cases that keep their mask


@pytest.fixture(scope="module")
def source_3d(tiny_dataset_3d, tmp_path_factory):
    return partial_source(tiny_dataset_3d.raw, tmp_path_factory.mktemp("src3d") / "source", keep=KEEP)


@pytest.fixture(scope="module")
def teacher_3d(tiny_dataset_3d, train_model):
    return train_model(tiny_dataset_3d, "nnUNetTrainerSegCls_smoke")


def _array(path):
    return sitk.GetArrayFromImage(sitk.ReadImage(str(path)))


def _plan(dataset_id: int, name: str) -> str:
    from segcls3d.pipeline import plan_and_preprocess
    from segcls3d.plans import write_preset_plans

    plan_and_preprocess(dataset_id, ("3d_fullres",), num_processes=1, verify=False)
    return write_preset_plans(name, "cpu_tiny").stem


def _predict(model, images, out) -> pd.DataFrame:
    assert main(["predict", "-i", str(images), "-o", str(out), "-m", str(model), "--device", "cpu",
                 "--disable-tta"]) == 0
    return pd.read_csv(out / "classification.csv", dtype={"case_id": str})


def test_boosted_pseudolabels_train_and_predict(tiny_dataset_3d, source_3d, teacher_3d, nnunet_paths, train_model,
                                                tmp_path):
    name = "Dataset961_SemisupBoosted3D"
    out = nnunet_paths.raw / name
    assert main(["pseudolabel", "boosted", "--teacher", str(teacher_3d), "--raw", str(source_3d), "-o", str(out),
                 "--device", "cpu", "--disable-tta"]) == 0
    truth = CaseLabels.from_raw_dataset(tiny_dataset_3d.raw)
    log = pd.read_csv(out / "pseudolabel_log.csv", dtype={"case_id": str}).set_index("case_id")
    assert len(log) == 16 and (log["mode"] == "boosted").all()
    with_mask = sorted(p.name[:-7] for p in (source_3d / "labelsTr").iterdir())
    assert (log.loc[with_mask, "action"] == "labeled").all()
    for case, row in log.drop(index=with_mask).iterrows():
        mask_file, image_file = out / "labelsTr" / f"{case}.nii.gz", out / "imagesTr" / f"{case}_0000.nii.gz"
        if truth[case][0] == 0:
            assert row["action"] == "zeroed" and not _array(mask_file).any()
        elif row["action"] == "excluded":
            assert not mask_file.exists() and not image_file.exists()
        else:
            assert row["action"] == "pseudo_mask" and row["voxels"] == int((_array(mask_file) == 1).sum()) > 0
    dataset = json.loads((out / "dataset.json").read_text())
    assert dataset["numTraining"] == int((log["action"] != "excluded").sum())
    assert dataset["segcls3d"]["pseudo_labels"]["mode"] == "boosted"

    plans = _plan(961, name)
    model = train_model(type(tiny_dataset_3d)(961, name, out, plans, "3d_fullres"), "nnUNetTrainerSegCls_smoke")
    assert (model / "fold_0" / "checkpoint_final.pth").is_file()
    csv = _predict(model, out / "imagesTs", tmp_path / "pred")
    assert sorted(csv["case_id"]) == sorted(p.name[:-12] for p in (out / "imagesTs").glob("*_0000.nii.gz"))
    assert csv["target_probability"].between(0, 1).all()


def test_plain_pseudolabels_train_and_predict(tiny_dataset_3d, source_3d, teacher_3d, nnunet_paths, train_model,
                                             tmp_path):
    """Setting 1: the teacher's masks are the targets, whatever the class label says; nothing is dropped."""
    from segcls3d.model.loading import load_model

    name = "Dataset964_SemisupPlain3D"
    out = nnunet_paths.raw / name
    assert main(["pseudolabel", "plain", "--teacher", str(teacher_3d), "--raw", str(source_3d), "-o", str(out),
                 "--device", "cpu", "--disable-tta"]) == 0
    log = pd.read_csv(out / "pseudolabel_log.csv", dtype={"case_id": str}).set_index("case_id")
    assert len(log) == 16 and (log["mode"] == "plain").all()
    pseudo = log[log["action"] != "labeled"]
    assert len(pseudo) == 16 - KEEP and (pseudo["action"] == "pseudo_mask").all()
    teacher = load_model(teacher_3d, device="cpu", use_mirroring=False)
    case = pseudo.index[0]
    image, props = teacher.predictor.plans_manager.image_reader_writer_class().read_images(
        [str(out / "imagesTr" / f"{case}_0000.nii.gz")])
    expected = teacher.predictor.predict_single_npy_array(image, props, None, None, False)
    written = _array(out / "labelsTr" / f"{case}.nii.gz")
    np.testing.assert_array_equal(written, expected)  # the teacher's own segmentation, voxel for voxel
    for case, row in pseudo.iterrows():
        assert row["voxels"] == int((_array(out / "labelsTr" / f"{case}.nii.gz") == 1).sum())
    assert json.loads((out / "dataset.json").read_text())["numTraining"] == 16

    plans = _plan(964, name)
    model = train_model(type(tiny_dataset_3d)(964, name, out, plans, "3d_fullres"), "nnUNetTrainerSegCls_smoke")
    csv = _predict(model, out / "imagesTs", tmp_path / "pred")
    assert len(csv) == 8 and csv["target_probability"].between(0, 1).all()


def test_soft_targets_pseudolabel_distill_and_predict(source_3d, teacher_3d, nnunet_paths, tmp_path):
    from segcls3d.labels.soft_targets import load_soft_target
    from segcls3d.model.loading import load_model
    from segcls3d.training.semisup.soft_target_preprocessing import soft_target_cache_folder

    name = "Dataset963_SemisupSoft3D"
    out = nnunet_paths.raw / name
    assert main(["pseudolabel", "soft", "--teacher", str(teacher_3d), "--raw", str(source_3d), "-o", str(out),
                 "--device", "cpu", "--temperature", "10"]) == 0
    log = pd.read_csv(out / "pseudolabel_log.csv", dtype={"case_id": str})
    soft_cases = sorted(log.loc[log["action"] == "soft_target", "case_id"])
    assert len(soft_cases) == 16 - KEEP
    assert sorted(p.stem for p in (out / "softTargetsTr").glob("*.npz")) == soft_cases
    # q = softmax(z / tau) of the teacher: compare with nnU-Net's own probabilities p = softmax(z)
    teacher = load_model(teacher_3d, device="cpu")
    case = soft_cases[0]
    image, props = teacher.predictor.plans_manager.image_reader_writer_class().read_images(
        [str(out / "imagesTr" / f"{case}_0000.nii.gz")])
    _, p = teacher.predictor.predict_single_npy_array(image, props, None, None, True)
    q = load_soft_target(out / "softTargetsTr" / f"{case}.npz")
    expected = np.power(np.clip(p, 1e-30, 1), 0.1)
    expected /= expected.sum(0, keepdims=True)
    np.testing.assert_allclose(q, expected, atol=2e-3)
    mask = _array(out / "labelsTr" / f"{case}.nii.gz")
    assert ((q.argmax(0) == mask) | (np.abs(q[1] - q[0]) < 1e-2)).all()
    assert q.max() < p.max()

    plans = _plan(963, name)
    trainer, seconds = train_in_process(963, "3d_fullres", "nnUNetTrainerSoftTargets_smoke", plans)
    print(f"nnUNetTrainerSoftTargets_smoke (3d): {seconds:.1f} s")
    assert trainer.temperature == 10.0
    cache = soft_target_cache_folder(nnunet_paths.preprocessed / name, "nnUNetPlans_3d_fullres")
    tr_keys, _ = trainer.do_split()
    assert sorted(p.stem for p in cache.glob("*.npy")) == sorted(set(soft_cases) & set(tr_keys))
    csv = _predict(trainer.output_folder_base, out / "imagesTs", tmp_path / "pred")
    assert len(csv) == 8
    assert os.path.isfile(os.path.join(trainer.output_folder, "checkpoint_final.pth"))
