"""The synthetic dataset of one (experiment, dimension, swept value, seed), and its nnU-Net dataset id.

Equal settings give equal keys, so the default point shared by several experiments is generated and
trained once. Each key gets an nnU-Net id from a range, kept in ``OUT/datasets.json`` for resumed runs.

Example:
    >>> from segcls3d.experiments.plan.suites import get_suite
    >>> cpu = get_suite("cpu")
    >>> dataset_for(cpu, cpu.sweep("a"), 3, 80, 0).key == dataset_for(cpu, cpu.sweep("e"), 3, 4.0, 0).key
    True
    >>> r = DatasetRegistry(None, first_id=700)
    >>> r.allocate("abc", 3, {}), r.allocate("abc", 3, {}), r.allocate("def", 2, {}), r.entries["def"]["name"]
    (700, 700, 701, 'Dataset701_SegClsExp2D')
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

from segcls3d.errors import SegCls3dError
from segcls3d.experiments.plan.suites import ExperimentConfigError, Suite, Sweep
from segcls3d.io import write_json_atomic
from segcls3d.synth import SynthConfig
from segcls3d.synth.generator import case_id

REGISTRY_FILENAME = "datasets.json"


@dataclass(frozen=True)
class DatasetSpec:
    """One synthetic dataset: SynthConfig settings, seed, training size and split."""

    dim: int
    seed: int
    synth: Mapping[str, Any]
    n_train: int
    n_val: int  # extra cases: nnU-Net's holdout validation fold (without cross-validation)
    cv_folds: int = 0  # k: the n_train cases split into k cross-validation folds instead

    @property
    def key(self) -> str:
        """Content hash of everything that defines the data and the split."""
        return hashlib.sha1(json.dumps(self.describe(), sort_keys=True).encode()).hexdigest()[:12]

    @property
    def folds(self) -> tuple[int, ...]:
        return tuple(range(self.cv_folds)) if self.cv_folds else (0,)

    @property
    def configuration(self) -> str:
        """nnU-Net configuration trained on this dataset."""
        return "2d" if self.dim == 2 else "3d_fullres"

    def describe(self) -> dict[str, Any]:
        return {"dim": self.dim, "seed": self.seed, "n_train": self.n_train, "n_val": self.n_val,
                "cv_folds": self.cv_folds,
                "synth": {k: list(v) if isinstance(v, tuple) else v for k, v in sorted(self.synth.items())}}

    def synth_config(self, dataset_name: str = "SegClsExp") -> SynthConfig:
        """The :class:`segcls3d.synth.SynthConfig` (training cases = n_train + n_val)."""
        return SynthConfig(seed=self.seed, dataset_name=dataset_name, n_train=self.n_train + self.n_val,
                           **dict(self.synth))

    def splits(self) -> list[dict[str, list[str]]]:
        """nnU-Net's ``splits_final.json``: holdout (first n_train train, last n_val val) or k folds."""
        ids = [case_id("train", i) for i in range(self.n_train + self.n_val)]
        if self.cv_folds:
            from nnunetv2.utilities.crossval_split import generate_crossval_split  # sklearn: slow, k-fold only

            return generate_crossval_split(ids, seed=12345 + self.seed, n_splits=self.cv_folds)
        return [{"train": ids[: self.n_train], "val": ids[self.n_train:]}]


def dataset_for(suite: Suite, sweep: Sweep, dim: int, value: float, seed: int) -> DatasetSpec:
    """The dataset of one (experiment, dimension, value, seed); a label fraction keeps the default dataset.

    Raises:
        ExperimentConfigError: the settings are not a valid synthetic dataset.
    """
    settings = {**suite.base[dim], "n_test": suite.n_test}
    n_train, factor = suite.n_train, None
    for name, fixed in sweep.fixed.items():
        if name == "n_train":
            n_train = int(fixed)
        elif name == "spurious_size_factor":
            factor = float(fixed)
        else:
            settings[name] = fixed
    if sweep.variable == "n_train":
        n_train = int(value)
    elif sweep.variable != "label_fraction":
        settings[sweep.variable] = float(value)
    if factor is not None:
        settings["spurious_size"] = factor * float(settings["target_size"])
    cv = suite.cv_folds if sweep.summarizer_comparison else 0
    n_val = 0 if cv else suite.n_val
    if cv and n_train < 2 * cv:
        raise ExperimentConfigError(f"experiment {sweep.name}: {n_train} training images for {cv} folds")
    try:
        config = SynthConfig(seed=seed, n_train=n_train + n_val, **settings)
    except Exception as exc:  # SynthConfigError, or a TypeError for an unknown setting
        raise ExperimentConfigError(f"experiment {sweep.name} ({dim}D, {sweep.variable}={value:g}): {exc}") from None
    resolved = {k: v for k, v in config.to_dict().items() if k not in ("seed", "dataset_name", "n_train")}
    return DatasetSpec(dim, seed, resolved, n_train, n_val, cv)  # resolved: equal settings give equal keys


def derived_key(base_key: str, fraction: float, mode: str) -> str:
    """Registry key of the pseudo-labelled dataset made from ``base_key`` at a label fraction."""
    return hashlib.sha1(f"{base_key}:{fraction:g}:{mode}".encode()).hexdigest()[:12]


class DatasetRegistryError(SegCls3dError):
    """The dataset registry is unreadable, inconsistent with its range, or the range is used up."""


class DatasetRegistry:
    """Dataset key -> nnU-Net id and name, saved after each allocation while ``path`` is set (DatasetRegistryError)."""

    def __init__(self, path: Optional[Path], first_id: int = 500, last_id: int = 999):
        if not 1 <= first_id <= last_id:
            raise DatasetRegistryError(f"invalid dataset id range {first_id}..{last_id}")
        self.path = Path(path) if path is not None else None
        self.first_id, self.last_id = first_id, last_id
        self.entries: dict[str, dict[str, Any]] = {}
        if self.path is not None and self.path.is_file():
            try:
                self.entries = dict(json.loads(self.path.read_text())["datasets"])
            except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
                raise DatasetRegistryError(f"{self.path}: unreadable dataset registry ({exc}); move it away to "
                                           "start over (the datasets it names will then be regenerated)") from None

    def allocate(self, key: str, dim: int, description: Mapping[str, Any]) -> int:
        """Id of dataset ``key``; a new key gets the lowest free id of the range."""
        if key in self.entries:
            return int(self.entries[key]["id"])
        used = {int(e["id"]) for e in self.entries.values()}
        free = next((i for i in range(self.first_id, self.last_id + 1) if i not in used), None)
        if free is None:
            raise DatasetRegistryError(f"no free nnU-Net dataset id left in {self.first_id}..{self.last_id}; "
                                       "use another --out folder or a larger --id-range")
        self.entries[key] = {"id": free, "name": f"Dataset{free:03d}_SegClsExp{dim}D", "dim": dim, **description}
        if self.path is not None:
            write_json_atomic(self.path, {"id_range": [self.first_id, self.last_id], "datasets": self.entries})
        return free
