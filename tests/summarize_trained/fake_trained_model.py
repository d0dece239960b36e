"""A fake cross-validated nnU-Net model folder for trained-summarizer tests (no nnU-Net training).

``fold_k/validation/<case>.npz`` + ``.pkl`` hold synthetic softmax probabilities: a positive case has
a bright blob (p 0.7-0.95, 27 voxels) somewhere, a negative case at most a 1-2 voxel false positive,
both over low background noise. Plans follow nnU-Net's (a tiny 3-stage PlainConvUNet).
"""
from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Optional

import numpy as np

from segcls3d.labels import write_case_labels

SHAPE = (10, 14, 14)
SPACING = (1.5, 1.0, 1.0)
PATCH = [8, 8, 8]
IMAGE_SHAPE = (8, 10, 10)  # raw images for the network tests: 4 sliding-window tiles


def _arch(dim: int) -> dict:
    conv = "Conv3d" if dim == 3 else "Conv2d"
    norm = "InstanceNorm3d" if dim == 3 else "InstanceNorm2d"
    return {
        "network_class_name": "dynamic_network_architectures.architectures.unet.PlainConvUNet",
        "arch_kwargs": {
            "n_stages": 3, "features_per_stage": [4, 8, 16], "conv_op": f"torch.nn.modules.conv.{conv}",
            "kernel_sizes": [[3] * dim] * 3, "strides": [[1] * dim, [2] * dim, [2] * dim],
            "n_conv_per_stage": [1, 1, 1], "n_conv_per_stage_decoder": [1, 1], "conv_bias": True,
            "norm_op": f"torch.nn.modules.instancenorm.{norm}", "norm_op_kwargs": {"eps": 1e-05, "affine": True},
            "dropout_op": None, "dropout_op_kwargs": None, "nonlin": "torch.nn.LeakyReLU",
            "nonlin_kwargs": {"inplace": True},
        },
        "_kw_requires_import": ["conv_op", "norm_op", "dropout_op", "nonlin"],
    }


def _configuration(dim: int) -> dict:
    resampling = {"is_seg": False, "order": 3, "order_z": 0, "force_separate_z": None}
    return {
        "data_identifier": f"nnUNetPlans_{dim}d" + ("_fullres" if dim == 3 else ""),
        "preprocessor_name": "DefaultPreprocessor", "batch_size": 2,
        "patch_size": PATCH[:dim] if dim == 3 else [8, 8], "median_image_size_in_voxels": list(SHAPE[-dim:]),
        "spacing": list(SPACING[-dim:]), "normalization_schemes": ["ZScoreNormalization"],
        "use_mask_for_norm": [False], "resampling_fn_data": "resample_data_or_seg_to_shape",
        "resampling_fn_seg": "resample_data_or_seg_to_shape",
        "resampling_fn_data_kwargs": resampling,
        "resampling_fn_seg_kwargs": {**resampling, "is_seg": True, "order": 1},
        "resampling_fn_probabilities": "resample_data_or_seg_to_shape",
        "resampling_fn_probabilities_kwargs": {**resampling, "order": 1},
        "architecture": _arch(dim), "batch_dice": False,
    }


def plans(dataset_name: str = "Dataset990_Fake") -> dict:
    return {
        "dataset_name": dataset_name, "plans_name": "nnUNetPlans",
        "original_median_spacing_after_transp": list(SPACING),
        "original_median_shape_after_transp": list(SHAPE), "image_reader_writer": "SimpleITKIO",
        "transpose_forward": [0, 1, 2], "transpose_backward": [0, 1, 2],
        "configurations": {"3d_fullres": _configuration(3), "2d": _configuration(2)},
        "experiment_planner_used": "ExperimentPlanner", "label_manager": "LabelManager",
        "foreground_intensity_properties_per_channel": {"0": {
            "max": 5.0, "mean": 2.0, "median": 2.0, "min": 0.0, "percentile_00_5": 0.1, "percentile_99_5": 4.0,
            "std": 0.5}},
    }


def dataset_json(labels: Optional[dict] = None, n: int = 0) -> dict:
    return {"channel_names": {"0": "MR"}, "labels": labels or {"background": 0, "lesion": 1},
            "numTraining": n, "file_ending": ".nii.gz"}


def synthetic_map(rng: np.random.Generator, positive: bool, shape=SHAPE) -> np.ndarray:
    """Lesion probability map: noise, plus a 3x3x3 blob (positive) or a tiny false positive (some negatives)."""
    p = rng.uniform(0.0, 0.15, shape).astype(np.float32)
    size = [min(3, s) if s > 1 else 1 for s in shape]  # single-slice 2D maps get a 3x3 blob
    z, y, x = (int(rng.integers(0, s - b + 1)) for s, b in zip(shape, size))
    if positive:
        p[z:z + size[0], y:y + size[1], x:x + size[2]] = rng.uniform(0.7, 0.95, size)
    elif rng.random() < 0.5:
        p[z, y, x:x + 2] = rng.uniform(0.55, 0.8, 2)
    return p


def case_ids(n: int) -> list[str]:
    return [f"case_{i:03d}" for i in range(n)]


def make_model_folder(root: Path, n_cases: int = 40, n_folds: int = 2, seed: int = 0, write_npz: bool = True,
                      labels: Optional[dict] = None, configuration: str = "3d_fullres",
                      shape: tuple[int, int, int] = SHAPE) -> tuple[Path, Path]:
    """Write ``root/<trainer>__nnUNetPlans__<configuration>`` with out-of-fold npz; return (folder, labels CSV)."""
    rng = np.random.default_rng(seed)
    folder = Path(root) / f"nnUNetTrainer__nnUNetPlans__{configuration}"
    folder.mkdir(parents=True)
    (folder / "dataset.json").write_text(json.dumps(dataset_json(labels, n_cases)))
    (folder / "plans.json").write_text(json.dumps(plans()))
    truth = {}
    for i, case in enumerate(case_ids(n_cases)):
        positive = i % 2 == 0
        truth[case] = {"lesion": int(positive)}
        validation = folder / f"fold_{i % n_folds}" / "validation"
        validation.mkdir(parents=True, exist_ok=True)
        lesion = synthetic_map(rng, positive, shape)
        if write_npz:
            np.savez_compressed(validation / f"{case}.npz", probabilities=np.stack([1.0 - lesion, lesion]))
            with open(validation / f"{case}.pkl", "wb") as handle:
                pickle.dump({"spacing": list(SPACING)}, handle)
        (validation / f"{case}.nii.gz").write_bytes(b"")  # nnU-Net's exported segmentation (content unused)
    csv = write_case_labels(Path(root) / "classification_labels.csv", truth, ["lesion"])
    return folder, csv


def held_out(n: int = 40, seed: int = 123, shape=SHAPE) -> tuple[list[dict], np.ndarray]:
    """Fresh synthetic class maps and labels (never seen at fitting)."""
    rng = np.random.default_rng(seed)
    y = np.array([i % 2 == 0 for i in range(n)], dtype=float)
    return [{"lesion": synthetic_map(rng, bool(v), shape)} for v in y], y


def add_checkpoints(folder: Path, folds=(0, 1), configuration: str = "3d_fullres") -> None:
    """Random-weight nnU-Net checkpoints (nnU-Net's checkpoint dict, trainer nnUNetTrainer) per fold."""
    import torch
    from nnunetv2.utilities.get_network_from_plans import get_network_from_plans

    p = json.loads((folder / "plans.json").read_text())
    ds = json.loads((folder / "dataset.json").read_text())
    arch = p["configurations"][configuration]["architecture"]
    for fold in folds:
        torch.manual_seed(fold)
        net = get_network_from_plans(arch["network_class_name"], arch["arch_kwargs"], arch["_kw_requires_import"],
                                     1, 2, allow_init=True, deep_supervision=False)
        checkpoint = {
            "network_weights": net.state_dict(), "optimizer_state": None, "grad_scaler_state": None, "logging": None,
            "_best_ema": None, "current_epoch": 1, "trainer_name": "nnUNetTrainer",
            "init_args": {"plans": p, "configuration": configuration, "fold": fold, "dataset_json": ds},
            "inference_allowed_mirroring_axes": (0, 1, 2),
        }
        (folder / f"fold_{fold}").mkdir(exist_ok=True)
        torch.save(checkpoint, folder / f"fold_{fold}" / "checkpoint_final.pth")


def write_images(folder: Path, cases, seed: int = 0) -> None:
    """Raw ``<case>_0000.nii.gz`` images (noise, plus a bright cube in even-numbered cases)."""
    import SimpleITK as sitk

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i, case in enumerate(cases):
        image = rng.normal(1.0, 0.3, IMAGE_SHAPE).astype(np.float32)
        if i % 2 == 0:
            image[3:6, 4:7, 5:8] += 2.0  # bright cube
        itk = sitk.GetImageFromArray(image)
        itk.SetSpacing(tuple(reversed(SPACING)))
        sitk.WriteImage(itk, str(folder / f"{case}_0000.nii.gz"))


def write_preprocessed(predictor, images: Path, out: Path, cases) -> None:
    """nnU-Net's preprocessed training data (``<case>.npz`` with data/seg + ``<case>.pkl``), made with the
    plan's own preprocessor, as nnUNetv2_plan_and_preprocess would."""
    from nnunetv2.imageio.simpleitk_reader_writer import SimpleITKIO

    from segcls3d.summarize.trained.features import preprocess_case

    out.mkdir(parents=True, exist_ok=True)
    for case in cases:
        image, properties = SimpleITKIO().read_images([str(images / f"{case}_0000.nii.gz")])
        data = preprocess_case(predictor, image, properties)
        np.savez_compressed(out / f"{case}.npz", data=data, seg=np.zeros((1, *data.shape[1:]), np.int8))
        with open(out / f"{case}.pkl", "wb") as handle:
            pickle.dump(properties, handle)
