"""Plans presets applied to a realistic nnU-Net plans dict (no nnU-Net planning), networks built from them, CLI."""
from __future__ import annotations

import json
import math
from copy import deepcopy

import numpy as np
import pytest
import torch

from segcls3d.cli.main import main
from segcls3d.errors import ModelFolderError, SegCls3dError
from segcls3d.plans import apply_preset, load_preset, preset_names, write_preset_plans
from segcls3d.plans.presets import MIN_FEATURE_MAP_EDGE, PRESET_DIR, describe, resolve_preprocessed_dataset

_REQ_IMPORT = ["conv_op", "norm_op", "dropout_op", "nonlin"]
_RESAMPLING = {
    "resampling_fn_data": "resample_data_or_seg_to_shape",
    "resampling_fn_seg": "resample_data_or_seg_to_shape",
    "resampling_fn_data_kwargs": {"is_seg": False, "order": 3, "order_z": 0, "force_separate_z": None},
    "resampling_fn_seg_kwargs": {"is_seg": True, "order": 1, "order_z": 0, "force_separate_z": None},
    "resampling_fn_probabilities": "resample_data_or_seg_to_shape",
    "resampling_fn_probabilities_kwargs": {"is_seg": False, "order": 1, "order_z": 0, "force_separate_z": None},
}


def _arch(dim: int, features, kernels, strides, n_conv, network="PlainConvUNet") -> dict:
    n = len(strides)
    kwargs = {
        "n_stages": n,
        "features_per_stage": features,
        "conv_op": f"torch.nn.modules.conv.Conv{dim}d",
        "kernel_sizes": kernels,
        "strides": strides,
        "n_conv_per_stage" if network == "PlainConvUNet" else "n_blocks_per_stage": n_conv,
        "n_conv_per_stage_decoder": [2] * (n - 1) if network == "PlainConvUNet" else [1] * (n - 1),
        "conv_bias": True,
        "norm_op": f"torch.nn.modules.instancenorm.InstanceNorm{dim}d",
        "norm_op_kwargs": {"eps": 1e-05, "affine": True},
        "dropout_op": None,
        "dropout_op_kwargs": None,
        "nonlin": "torch.nn.LeakyReLU",
        "nonlin_kwargs": {"inplace": True},
    }
    return {"network_class_name": f"dynamic_network_architectures.architectures.unet.{network}",
            "arch_kwargs": kwargs, "_kw_requires_import": list(_REQ_IMPORT)}


def _configuration(identifier: str, batch: int, patch, spacing, arch: dict, **extra) -> dict:
    return {"data_identifier": identifier, "preprocessor_name": "DefaultPreprocessor", "batch_size": batch,
            "patch_size": patch, "median_image_size_in_voxels": [float(p) * 1.5 for p in patch], "spacing": spacing,
            "normalization_schemes": ["CTNormalization"], "use_mask_for_norm": [False], **_RESAMPLING,
            "architecture": arch, "batch_dice": extra.pop("batch_dice", False), **extra}


def make_plans(network: str = "PlainConvUNet") -> dict:
    """A trimmed copy of a real nnUNetPlans.json (structure of nnU-Net 2.x ExperimentPlanner output).

    Anisotropic CT-like data: 3.0 x 0.8 x 0.8 mm, large 3d patches, a 2d configuration, and a
    3d_lowres / 3d_cascade_fullres pair where the cascade inherits from 3d_fullres.
    """
    k3 = [[1, 3, 3]] + [[3, 3, 3]] * 5
    s3 = [[1, 1, 1], [1, 2, 2], [2, 2, 2], [2, 2, 2], [2, 2, 2], [2, 2, 2]]
    blocks = [2] * 6 if network == "PlainConvUNet" else [1, 3, 4, 6, 6, 6]
    blocks2d = [2] * 8 if network == "PlainConvUNet" else [1, 3, 4, 6, 6, 6, 6, 6]
    return {
        "dataset_name": "Dataset900_Toy",
        "plans_name": "nnUNetPlans",
        "original_median_spacing_after_transp": [3.0, 0.8, 0.8],
        "original_median_shape_after_transp": [160, 512, 512],
        "image_reader_writer": "SimpleITKIO",
        "transpose_forward": [0, 1, 2],
        "transpose_backward": [0, 1, 2],
        "configurations": {
            "2d": _configuration(
                "nnUNetPlans_2d", 12, [512, 512], [0.8, 0.8],
                _arch(2, [32, 64, 128, 256, 512, 512, 512, 512], [[3, 3]] * 8, [[1, 1]] + [[2, 2]] * 7, blocks2d,
                      network),
                batch_dice=True),
            "3d_lowres": _configuration(
                "nnUNetPlans_3d_lowres", 2, [128, 128, 128], [3.0, 1.6, 1.6],
                _arch(3, [32, 64, 128, 256, 320, 320], [[3, 3, 3]] * 6,
                      [[1, 1, 1]] + [[2, 2, 2]] * 5, blocks, network),
                next_stage="3d_cascade_fullres"),
            "3d_fullres": _configuration(
                "nnUNetPlans_3d_fullres", 2, [128, 128, 128], [3.0, 0.8, 0.8],
                _arch(3, [32, 64, 128, 256, 320, 320], k3, s3, blocks, network)),
            "3d_cascade_fullres": {"inherits_from": "3d_fullres", "previous_stage": "3d_lowres"},
        },
        "experiment_planner_used": "ExperimentPlanner",
        "label_manager": "LabelManager",
        "foreground_intensity_properties_per_channel": {
            "0": {"max": 3071.0, "mean": 98.2, "median": 95.0, "min": -1024.0,
                  "percentile_00_5": -72.0, "percentile_99_5": 410.0, "std": 81.5}
        },
    }


PLANNED = ["2d", "3d_lowres", "3d_fullres"]


@pytest.fixture(scope="module")
def plans() -> dict:
    return make_plans()


@pytest.fixture(scope="module", params=preset_names())
def applied(request, plans):
    before = deepcopy(plans)
    preset = load_preset(request.param)
    result = apply_preset(plans, preset, f"nnUNetPlans_{request.param}")
    assert plans == before, "apply_preset must not modify its input"
    return request.param, preset, result


def test_shipped_presets():
    names = preset_names()
    assert {"cpu_tiny", "cpu_small"} <= set(names)
    for name in names:
        preset = load_preset(name)
        assert preset["description"]
        assert set(preset["max_patch_size"]) == {"2d", "3d"}
        assert load_preset(PRESET_DIR / f"{name}.json") == preset


@pytest.mark.parametrize("config", PLANNED)
def test_preset_topology(applied, plans, config):
    name, preset, result = applied
    cfg, orig = result["configurations"][config], plans["configurations"][config]
    arch = cfg["architecture"]["arch_kwargs"]
    patch, dim = cfg["patch_size"], len(orig["patch_size"])
    cap = preset["max_patch_size"][f"{dim}d"]
    assert len(patch) == dim
    assert all(isinstance(p, int) for p in patch)
    assert all(p <= c and p <= o for p, c, o in zip(patch, cap, orig["patch_size"])), (patch, cap)

    n = arch["n_stages"]
    assert 2 <= n <= preset["max_stages"]
    assert len(arch["strides"]) == len(arch["kernel_sizes"]) == len(arch["features_per_stage"]) == n
    assert len(arch["n_conv_per_stage"]) == n
    assert len(arch["n_conv_per_stage_decoder"]) == n - 1
    assert list(arch["strides"][0]) == [1] * dim
    assert all(len(s) == dim and set(s) <= {1, 2} for s in arch["strides"])
    assert all(len(k) == dim and set(k) <= {1, 3} for k in arch["kernel_sizes"])
    for axis in range(dim):
        divisor = math.prod(s[axis] for s in arch["strides"])
        assert patch[axis] % divisor == 0, (config, patch, arch["strides"])
        if divisor > 1:
            assert patch[axis] // divisor >= MIN_FEATURE_MAP_EDGE

    base, maximum = preset["base_features"], preset["max_features"]
    assert arch["features_per_stage"] == [min(base * 2 ** i, maximum) for i in range(n)]
    assert arch["n_conv_per_stage"] == [preset["n_conv_per_stage"]] * n
    assert arch["n_conv_per_stage_decoder"] == [preset["n_conv_per_stage_decoder"]] * (n - 1)
    assert cfg["batch_size"] == preset["batch_size"]
    # data and everything the preprocessed data depends on stay the same
    for key in ("data_identifier", "spacing", "normalization_schemes", "preprocessor_name",
                "resampling_fn_data_kwargs"):
        assert cfg[key] == orig[key]
    for key in ("conv_op", "norm_op", "nonlin", "conv_bias", "norm_op_kwargs"):
        assert arch[key] == orig["architecture"]["arch_kwargs"][key]


def test_preset_plans_level_fields(applied, plans):
    name, _, result = applied
    assert result["plans_name"] == f"nnUNetPlans_{name}"
    assert result["configurations"]["3d_cascade_fullres"] == plans["configurations"]["3d_cascade_fullres"]
    assert result["configurations"]["3d_lowres"]["next_stage"] == "3d_cascade_fullres"
    for key in set(plans) - {"plans_name", "configurations"}:
        assert result[key] == plans[key]
    json.loads(json.dumps(result))  # serializable as written by write_preset_plans


def test_cpu_tiny_expected_values(plans):
    result = apply_preset(plans, load_preset("cpu_tiny"), "p")
    full = result["configurations"]["3d_fullres"]
    assert full["patch_size"] == [32, 32, 32]
    strides = [list(s) for s in full["architecture"]["arch_kwargs"]["strides"]]
    assert strides == [[1, 1, 1], [1, 2, 2], [2, 2, 2], [2, 2, 2]]
    assert [list(k) for k in full["architecture"]["arch_kwargs"]["kernel_sizes"]] == [[1, 3, 3]] + [[3, 3, 3]] * 3
    assert full["architecture"]["arch_kwargs"]["features_per_stage"] == [8, 16, 32, 64]
    two_d = result["configurations"]["2d"]
    assert two_d["patch_size"] == [64, 64]
    assert two_d["architecture"]["arch_kwargs"]["features_per_stage"] == [8, 16, 32, 64]
    assert "3d_fullres: patch [32, 32, 32], stages 4" in describe(result)
    assert "3d_cascade_fullres" not in describe(result)


@pytest.mark.parametrize("spacing", [[5.0, 1.0, 1.0], [1.0, 1.0, 6.0], [10.0, 0.5, 0.5]])
def test_max_stages_holds_for_strongly_anisotropic_spacing(plans, spacing):
    plans = deepcopy(plans)
    plans["configurations"]["3d_fullres"]["spacing"] = spacing
    preset = load_preset("cpu_tiny")
    cfg = apply_preset(plans, preset, "p")["configurations"]["3d_fullres"]
    arch = cfg["architecture"]["arch_kwargs"]
    assert arch["n_stages"] == len(arch["strides"]) <= preset["max_stages"]
    for axis in range(3):
        assert cfg["patch_size"][axis] % math.prod(s[axis] for s in arch["strides"]) == 0


def test_partial_preset_keeps_plan_values(plans):
    """Keys a preset leaves out come from the plans (features, convs resized to the new depth, batch)."""
    result = apply_preset(plans, {"max_patch_size": {"3d": [64, 64, 64]}, "max_stages": 4}, "p")
    cfg = result["configurations"]["3d_fullres"]
    arch = cfg["architecture"]["arch_kwargs"]
    assert cfg["patch_size"] == [64, 64, 64]
    assert arch["n_stages"] == 4
    assert arch["features_per_stage"] == [32, 64, 128, 256]
    assert arch["n_conv_per_stage"] == [2] * 4
    assert arch["n_conv_per_stage_decoder"] == [2] * 3
    assert cfg["batch_size"] == 2
    # no 2d cap in this preset: the 2d patch is unchanged, depth capped at 4 stages
    two_d = result["configurations"]["2d"]
    assert two_d["patch_size"] == [512, 512]
    assert two_d["architecture"]["arch_kwargs"]["n_stages"] == 4
    assert two_d["batch_size"] == 12


def test_residual_encoder_plans():
    plans = make_plans("ResidualEncoderUNet")
    result = apply_preset(plans, load_preset("cpu_tiny"), "p")
    for config in PLANNED:
        arch = result["configurations"][config]["architecture"]["arch_kwargs"]
        n = arch["n_stages"]
        assert arch["n_blocks_per_stage"] == [1] * n
        assert "n_conv_per_stage" not in arch
        assert arch["n_conv_per_stage_decoder"] == [1] * (n - 1)
    partial = apply_preset(plans, {"max_patch_size": {"3d": [32, 32, 32]}, "max_stages": 3}, "p")
    arch = partial["configurations"]["3d_fullres"]["architecture"]["arch_kwargs"]
    assert arch["n_blocks_per_stage"] == [1, 3, 4]
    assert arch["n_conv_per_stage_decoder"] == [1, 1]


def _build(cfg: dict, in_channels: int = 1, out_channels: int = 3):
    from nnunetv2.utilities.get_network_from_plans import get_network_from_plans

    arch = cfg["architecture"]
    return get_network_from_plans(arch["network_class_name"], arch["arch_kwargs"], arch["_kw_requires_import"],
                                  in_channels, out_channels, deep_supervision=False)


@pytest.mark.parametrize("network, config, preset", [
    ("PlainConvUNet", "2d", "cpu_tiny"), ("PlainConvUNet", "3d_fullres", "cpu_tiny"),
    ("PlainConvUNet", "3d_lowres", "cpu_tiny"), ("ResidualEncoderUNet", "3d_fullres", "cpu_tiny"),
    ("PlainConvUNet", "3d_fullres", "cpu_small"),
])
def test_network_builds_and_runs(network, config, preset):
    torch.manual_seed(0)
    plans = json.loads(json.dumps(apply_preset(make_plans(network), load_preset(preset), "p")))
    cfg = plans["configurations"][config]
    net = _build(cfg, 2, 3).eval()
    patch = cfg["patch_size"]
    with torch.no_grad():
        out = net(torch.zeros(1, 2, *patch))
    assert tuple(out.shape) == (1, 3, *patch)
    assert torch.isfinite(out).all()
    assert net.encoder.output_channels == cfg["architecture"]["arch_kwargs"]["features_per_stage"]


# ---------------------------------------------------------------------------------------------- presets on disk
def test_unknown_preset_name():
    with pytest.raises(SegCls3dError, match="unknown plans preset 'gpu_huge'.*cpu_tiny"):
        load_preset("gpu_huge")


def test_unknown_preset_key(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"base_features": 8, "learning_rate": 0.1}))
    with pytest.raises(SegCls3dError, match=r"unknown preset key\(s\) \['learning_rate'\]") as info:
        load_preset(path)
    assert str(path) in str(info.value)


def test_invalid_preset_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{base_features: 8")
    with pytest.raises(SegCls3dError, match="not valid JSON"):
        load_preset(str(path))


def _preprocessed(tmp_path, plans=None):
    root = tmp_path / "preprocessed"
    folder = root / "Dataset900_Toy"
    folder.mkdir(parents=True)
    (folder / "nnUNetPlans.json").write_text(json.dumps(plans or make_plans()))
    (root / "Dataset090_Other").mkdir()
    return root, folder


def test_write_preset_plans(tmp_path):
    root, folder = _preprocessed(tmp_path)
    path = write_preset_plans("900", "cpu_tiny", preprocessed_dir=root)
    assert path == folder / "nnUNetPlans_cpu_tiny.json"
    written = json.loads(path.read_text())
    expected = apply_preset(make_plans(), load_preset("cpu_tiny"), "nnUNetPlans_cpu_tiny")
    assert written == json.loads(json.dumps(expected))
    assert sorted(p.name for p in folder.iterdir()) == ["nnUNetPlans.json", "nnUNetPlans_cpu_tiny.json"]
    custom = tmp_path / "custom_preset.json"
    custom.write_text(json.dumps({"batch_size": 1}))
    assert write_preset_plans("Dataset900_Toy", custom, preprocessed_dir=root).name == "nnUNetPlans_custom_preset.json"


def test_resolve_preprocessed_dataset(tmp_path, monkeypatch):
    root, folder = _preprocessed(tmp_path)
    assert resolve_preprocessed_dataset("Dataset900_Toy", root) == folder
    assert resolve_preprocessed_dataset("900", root) == folder
    assert resolve_preprocessed_dataset("90", root) == root / "Dataset090_Other"
    with pytest.raises(ModelFolderError, match="'901' not found"):
        resolve_preprocessed_dataset("901", root)
    monkeypatch.delenv("nnUNet_preprocessed", raising=False)
    with pytest.raises(ModelFolderError, match="nnUNet_preprocessed is not set"):
        resolve_preprocessed_dataset("900")
    monkeypatch.setenv("nnUNet_preprocessed", str(root))
    assert resolve_preprocessed_dataset("900") == folder


def test_write_preset_plans_missing_source(tmp_path):
    root, _ = _preprocessed(tmp_path)
    with pytest.raises(ModelFolderError, match="nnUNetResEncPlans.json not found"):
        write_preset_plans("900", "cpu_tiny", source_plans="nnUNetResEncPlans", preprocessed_dir=root)


# ---------------------------------------------------------------------------------------------- CLI
@pytest.mark.parametrize("dataset", ["Dataset900_Toy", "900"])
def test_cli_plans_writes_file(tmp_path, monkeypatch, capsys, dataset):
    root, folder = _preprocessed(tmp_path)
    monkeypatch.setenv("nnUNet_preprocessed", str(root))
    assert main(["plans", "-d", dataset, "--preset", "cpu_tiny"]) == 0
    out = capsys.readouterr().out
    target = folder / "nnUNetPlans_cpu_tiny.json"
    assert f"wrote {target}" in out
    assert "3d_fullres: patch [32, 32, 32]" in out
    assert sorted(p.name for p in folder.iterdir()) == ["nnUNetPlans.json", "nnUNetPlans_cpu_tiny.json"]
    assert json.loads(target.read_text())["plans_name"] == "nnUNetPlans_cpu_tiny"


def test_cli_plans_custom_name(tmp_path, monkeypatch):
    root, folder = _preprocessed(tmp_path)
    monkeypatch.setenv("nnUNet_preprocessed", str(root))
    assert main(["plans", "-d", "900", "--preset", "cpu_small", "-o", "myPlans"]) == 0
    assert json.loads((folder / "myPlans.json").read_text())["plans_name"] == "myPlans"


def test_cli_plans_list(capsys):
    assert main(["plans", "--list"]) == 0
    out = capsys.readouterr().out
    for name in preset_names():
        assert f"{name}: {load_preset(name)['description']}" in out


@pytest.mark.parametrize("argv, expected", [
    (["plans", "-d", "901"], "dataset '901' not found"),
    (["plans", "-d", "900", "--preset", "nope"], "unknown plans preset 'nope'"),
    (["plans"], "-d/--dataset is required"),
])
def test_cli_plans_errors(tmp_path, monkeypatch, capsys, argv, expected):
    root, folder = _preprocessed(tmp_path)
    monkeypatch.setenv("nnUNet_preprocessed", str(root))
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("segcls3d plans: error: ") and expected in err and "\n" not in err
    assert [p.name for p in folder.iterdir()] == ["nnUNetPlans.json"]


def test_custom_cap_is_never_exceeded():
    """nnU-Net rounds patches up to a divisible size; the preset rounds down so the cap holds."""
    plans = {"plans_name": "p", "configurations": {"3d_fullres": {
        "patch_size": [128, 128, 128], "spacing": [1.0, 1.0, 1.0], "batch_size": 2, "data_identifier": "d",
        "architecture": {"network_class_name": "x", "arch_kwargs": {
            "n_stages": 6, "features_per_stage": [32, 64, 128, 256, 320, 320],
            "kernel_sizes": [[3, 3, 3]] * 6, "strides": [[1, 1, 1]] + [[2, 2, 2]] * 5,
            "n_conv_per_stage": [2] * 6, "n_conv_per_stage_decoder": [2] * 5}}}}}
    out = apply_preset(plans, {"max_patch_size": {"3d": [36, 36, 36]}, "max_stages": 5}, "q")
    cfg = out["configurations"]["3d_fullres"]
    strides = cfg["architecture"]["arch_kwargs"]["strides"]
    divisor = [int(np.prod([s[i] for s in strides])) for i in range(3)]
    assert all(p <= 36 for p in cfg["patch_size"])
    assert all(p % d == 0 for p, d in zip(cfg["patch_size"], divisor))
