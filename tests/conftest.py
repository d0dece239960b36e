"""Session fixtures: a tiny synthetic dataset planned and preprocessed by nnU-Net, and trained models.

Everything runs the real tools (synth -> nnU-Net plan/preprocess -> plans preset -> nnUNetv2_train)
in a temporary nnU-Net tree; trained models are cached for the whole session.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

#: Test-only trainer schedules (``_smoke``); nnU-Net searches every folder of the variable, and
#: segcls3d adds the product's ``trainers/`` folder itself (``segcls3d.nnunet_env``).
TEST_TRAINERS = Path(__file__).resolve().parent / "trainers"
os.environ["nnUNet_extTrainer"] = os.pathsep.join(
    p for p in (str(TEST_TRAINERS), *os.environ.get("nnUNet_extTrainer", "").split(os.pathsep)) if p)


@dataclass(frozen=True)
class TinyDataset:
    dataset_id: int
    name: str
    raw: Path
    plans: str
    configuration: str


@pytest.fixture(scope="session")
def nnunet_paths(tmp_path_factory):
    """A private nnU-Net folder tree; env vars set for the session (restored afterwards)."""
    from segcls3d.pipeline import NnUNetPaths

    keys = ("nnUNet_raw", "nnUNet_preprocessed", "nnUNet_results", "nnUNet_extTrainer",
            "nnUNet_def_n_proc", "nnUNet_n_proc_DA", "nnUNet_compile")
    saved = {k: os.environ.get(k) for k in keys}
    paths = NnUNetPaths.under(tmp_path_factory.mktemp("nnunet"))
    paths.apply()
    os.environ.update(nnUNet_def_n_proc="1", nnUNet_n_proc_DA="0", nnUNet_compile="false")
    yield paths
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _make_dataset(paths, dataset_id: int, dim: int, configuration: str) -> TinyDataset:
    from segcls3d.pipeline import plan_and_preprocess
    from segcls3d.plans import write_preset_plans
    from segcls3d.synth import SynthConfig, generate_dataset

    name = f"Dataset{dataset_id:03d}_Tiny{dim}D"
    shape = (24, 24, 24) if dim == 3 else (48, 48)
    config = SynthConfig(dim=dim, shape=shape, n_train=16, n_test=8, target_size=2.5, n_objects=8,
                         distractor_kinds=3, seed=dataset_id, dataset_name=name)
    raw = generate_dataset(config, paths.raw / name, progress=False)
    plan_and_preprocess(dataset_id, (configuration,), num_processes=1)
    plans = write_preset_plans(name, "cpu_tiny").stem
    return TinyDataset(dataset_id, name, Path(raw), plans, configuration)


@pytest.fixture(scope="session")
def tiny_dataset_3d(nnunet_paths) -> TinyDataset:
    """16 train + 8 test volumes of 24^3, planned (3d_fullres) and preprocessed, cpu_tiny plans."""
    return _make_dataset(nnunet_paths, 951, 3, "3d_fullres")


@pytest.fixture(scope="session")
def tiny_dataset_2d(nnunet_paths) -> TinyDataset:
    """16 train + 8 test single-slice 48x48 images, planned as 2d, cpu_tiny plans."""
    return _make_dataset(nnunet_paths, 952, 2, "2d")


@pytest.fixture(scope="session")
def train_model(nnunet_paths) -> Callable[[TinyDataset, str], Path]:
    """Train ``trainer`` on fold 0 of a tiny dataset with the real nnUNetv2_train (cached per session)."""
    from segcls3d.pipeline import model_folder, train

    cache: dict[tuple[str, str], Path] = {}

    def _train(dataset: TinyDataset, trainer: str, extra_args: tuple[str, ...] = ()) -> Path:
        key = (dataset.name, trainer)
        if key not in cache:
            folder = model_folder(nnunet_paths.results, dataset.name, trainer, dataset.plans, dataset.configuration)
            log = nnunet_paths.results / f"{dataset.name}_{trainer}.log"
            train(dataset.dataset_id, dataset.configuration, 0, trainer, dataset.plans, "cpu",
                  extra_args=extra_args, log_file=log)
            cache[key] = folder
        return cache[key]

    return _train


#: Fixtures that run nnU-Net for real (plan/preprocess, nnUNetv2_train): tests using them are `slow`.
SLOW_FIXTURES = {"nnunet_paths", "tiny_dataset_3d", "tiny_dataset_2d", "train_model"}


def pytest_collection_modifyitems(config, items):
    """Mark every test that needs a real nnU-Net run as ``slow`` (``pytest -m "not slow"`` skips them)."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
