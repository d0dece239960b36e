"""Plans presets: small, declarative edits of nnU-Net's generated plans.

A preset (JSON in the repository's ``plans/`` folder, or any path) caps the patch size, sets the
feature widths, the number of stages, convolutions per stage and the batch size. The network
topology for the new patch size is recomputed with nnU-Net's own ``get_pool_and_conv_props``.
Spacing, normalization and therefore the preprocessed data stay the same (``data_identifier`` is
kept), so no re-preprocessing is needed.
"""
from __future__ import annotations

import json
import logging
import os
from copy import deepcopy
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
from nnunetv2.experiment_planning.experiment_planners.network_topology import get_pool_and_conv_props

from segcls3d.errors import ModelFolderError, SegCls3dError
from segcls3d.io import write_json_atomic

logger = logging.getLogger(__name__)
PathLike = Union[str, Path]
PRESET_DIR = Path(__file__).resolve().parents[2] / "plans"
MIN_FEATURE_MAP_EDGE = 4  # nnU-Net's ExperimentPlanner.UNet_featuremap_min_edge_length
_KEYS = {"description", "max_patch_size", "base_features", "max_features", "max_stages",
         "batch_size", "n_conv_per_stage", "n_conv_per_stage_decoder"}


def preset_names() -> list[str]:
    """Names of the presets shipped in ``plans/``."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.json"))


def load_preset(name_or_path: PathLike) -> dict:
    """Load a preset by name (``plans/<name>.json``) or path and check its keys.

    Raises:
        SegCls3dError: unknown preset name, unreadable file or unknown keys.
    """
    path = Path(name_or_path)
    if not path.is_file():
        path = PRESET_DIR / f"{name_or_path}.json"
    if not path.is_file():
        raise SegCls3dError(f"unknown plans preset '{name_or_path}' (available: {', '.join(preset_names())})")
    try:
        preset = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise SegCls3dError(f"{path}: not valid JSON ({exc})") from None
    unknown = set(preset) - _KEYS
    if unknown:
        raise SegCls3dError(f"{path}: unknown preset key(s) {sorted(unknown)}; allowed: {sorted(_KEYS)}")
    return preset


def _features(n_stages: int, base: int, maximum: int) -> list[int]:
    return [min(base * 2 ** i, maximum) for i in range(n_stages)]


def apply_preset(plans: dict, preset: dict, plans_name: str) -> dict:
    """Return a copy of ``plans`` with ``preset`` applied to every configuration that has an architecture."""
    plans = deepcopy(plans)
    plans["plans_name"] = plans_name
    for name, cfg in plans["configurations"].items():
        arch = cfg.get("architecture", {}).get("arch_kwargs")
        if arch is None or "patch_size" not in cfg:
            continue  # inherits from another configuration, which gets the edit
        dim = len(cfg["patch_size"])
        cap = (preset.get("max_patch_size") or {}).get(f"{dim}d")
        patch = [min(int(p), int(c)) for p, c in zip(cfg["patch_size"], cap)] if cap else list(cfg["patch_size"])
        max_pool = int(preset.get("max_stages", 999)) - 1
        _, strides, kernels, patch, _ = get_pool_and_conv_props(cfg["spacing"], patch, MIN_FEATURE_MAP_EDGE, max_pool)
        # max_pool limits pooling per axis; anisotropic spacing adds stages that pool some axes only
        strides, kernels = list(strides)[: max_pool + 1], list(kernels)[: max_pool + 1]
        if cap:  # nnU-Net rounds the patch up to a divisible size: round down instead to respect the cap
            divisor = np.prod(np.array(strides), axis=0)
            patch = [int(max(d, (min(p, c) // d) * d)) for p, c, d in zip(patch, cap, divisor)]
        n_stages = len(strides)
        base = int(preset.get("base_features", arch["features_per_stage"][0]))
        maximum = int(preset.get("max_features", max(arch["features_per_stage"])))
        arch.update(n_stages=n_stages, kernel_sizes=kernels, strides=strides,
                    features_per_stage=_features(n_stages, base, maximum))
        blocks_key = "n_conv_per_stage" if "n_conv_per_stage" in arch else "n_blocks_per_stage"
        per_stage = preset.get("n_conv_per_stage")
        arch[blocks_key] = [int(per_stage)] * n_stages if per_stage else _resize(arch[blocks_key], n_stages)
        per_dec = preset.get("n_conv_per_stage_decoder")
        arch["n_conv_per_stage_decoder"] = [int(per_dec)] * (n_stages - 1) if per_dec else \
            _resize(arch["n_conv_per_stage_decoder"], n_stages - 1)
        cfg["patch_size"] = [int(p) for p in patch]
        if "batch_size" in preset:
            cfg["batch_size"] = int(preset["batch_size"])
        logger.info("%s: patch %s, %d stages, features %s, batch %s", name, cfg["patch_size"], n_stages,
                    arch["features_per_stage"], cfg["batch_size"])
    return plans


def _resize(values: list, n: int) -> list:
    values = list(values)
    return (values + [values[-1]] * n)[:n] if values else [2] * n


def write_preset_plans(
    dataset: str,
    preset: PathLike,
    source_plans: str = "nnUNetPlans",
    plans_name: Optional[str] = None,
    preprocessed_dir: Optional[PathLike] = None,
) -> Path:
    """Apply a preset to ``<preprocessed>/<dataset>/<source_plans>.json`` and write ``<plans_name>.json``.

    ``dataset`` is a dataset name (``Dataset501_Synth``) or id (``501``). Returns the written file.

    Raises:
        ModelFolderError: the dataset or its source plans are not found (run nnUNetv2_plan_and_preprocess).
    """
    folder = resolve_preprocessed_dataset(dataset, preprocessed_dir)
    source = folder / f"{source_plans}.json"
    if not source.is_file():
        raise ModelFolderError(f"{source} not found: run nnUNetv2_plan_and_preprocess for this dataset first")
    preset_dict = load_preset(preset)
    name = plans_name or f"{source_plans}_{Path(str(preset)).stem}"
    plans = apply_preset(json.loads(source.read_text()), preset_dict, name)
    return write_json_atomic(folder / f"{name}.json", plans)


def resolve_preprocessed_dataset(dataset: str, preprocessed_dir: Optional[PathLike] = None) -> Path:
    """Folder of a dataset in nnUNet_preprocessed, given its name or numeric id."""
    base = preprocessed_dir or os.environ.get("nnUNet_preprocessed")
    if not base:
        raise ModelFolderError("nnUNet_preprocessed is not set (and no --preprocessed folder given)")
    base = Path(base)
    candidate = base / str(dataset)
    if candidate.is_dir():
        return candidate
    if str(dataset).isdigit():
        matches = sorted(base.glob(f"Dataset{int(dataset):03d}_*"))
        if matches:
            return matches[0]
    raise ModelFolderError(f"dataset '{dataset}' not found in {base}")


def describe(plans: dict[str, Any]) -> str:
    """One line per configuration: patch size, stages, features, batch size."""
    lines = []
    for name, cfg in plans["configurations"].items():
        arch = cfg.get("architecture", {}).get("arch_kwargs")
        if arch:
            lines.append(f"{name}: patch {cfg['patch_size']}, stages {arch['n_stages']}, "
                         f"features {arch['features_per_stage']}, batch {cfg['batch_size']}")
    return "\n".join(lines)
