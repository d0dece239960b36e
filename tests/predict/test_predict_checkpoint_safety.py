"""A downloaded model folder cannot run code: checkpoints are read with ``torch.load(weights_only=True)``.

The payload is a real pickle: an object whose ``__reduce__`` opens (creates) a marker file when
unpickled. The safe load refuses it before anything runs; ``--trust-checkpoint`` (nnU-Net's own
``weights_only=False`` loading) runs it, which is why that path is opt-in.
"""
from __future__ import annotations

import builtins
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from segcls3d.cli.main import main
from segcls3d.errors import ModelFolderError
from segcls3d.model.checkpoint import read_checkpoint
from segcls3d.model.loading import load_model

DATA = Path(__file__).resolve().parents[1] / "data" / "old_checkpoints"
TRAINER = "nnUNetTrainerSegCls_smoke"
MODEL = DATA / "models" / f"{TRAINER}__nnUNetPlans_cpu_tiny__3d_fullres"


class Payload:
    """Unpickling this creates ``marker`` (any callable could be here instead of ``open``)."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return builtins.open, (self.marker, "w")


def _poisoned_model(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the old SegCls model whose checkpoint also holds a :class:`Payload`."""
    folder = tmp_path / MODEL.name
    shutil.copytree(MODEL, folder)
    marker = tmp_path / "payload_ran"
    checkpoint_file = folder / "fold_0" / "checkpoint_final.pth"
    checkpoint = torch.load(checkpoint_file, map_location="cpu", weights_only=False)  # our own test file
    checkpoint["payload"] = Payload(marker)
    torch.save(checkpoint, checkpoint_file)
    assert not marker.exists()
    return folder, marker


def _one_case_input(tmp_path: Path) -> Path:
    folder = tmp_path / "images"
    folder.mkdir()
    shutil.copy(DATA / "imagesTs" / "synth_test_0000_0000.nii.gz", folder)
    return folder


def test_real_checkpoints_load_safely_with_numpy_log_values():
    checkpoint = read_checkpoint(MODEL / "fold_0" / "checkpoint_final.pth")
    assert checkpoint["trainer_name"] == TRAINER
    assert isinstance(checkpoint["logging"]["train_losses"][0], np.floating)
    assert tuple(checkpoint["inference_allowed_mirroring_axes"]) == (0, 1, 2)


def test_safe_and_trusted_loading_build_the_same_predictor():
    safe = load_model(MODEL, [0], device="cpu").predictor
    trusted = load_model(MODEL, [0], device="cpu", trust_checkpoint=True).predictor
    assert type(safe.network) is type(trusted.network)
    assert safe.allowed_mirroring_axes == trusted.allowed_mirroring_axes
    assert safe.trainer_name == trusted.trainer_name
    assert safe.configuration_manager.configuration == trusted.configuration_manager.configuration
    a, b = safe.network.state_dict(), trusted.network.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert all(torch.equal(safe.list_of_parameters[0][k], v) for k, v in trusted.list_of_parameters[0].items())


def test_payload_is_refused_by_load_model(tmp_path):
    folder, marker = _poisoned_model(tmp_path)
    with pytest.raises(ModelFolderError, match="checkpoint_final.pth.*--trust-checkpoint"):
        load_model(folder, [0], device="cpu")
    assert not marker.exists()


def test_predict_refuses_payload_and_trust_checkpoint_runs_it(tmp_path, capsys):
    folder, marker = _poisoned_model(tmp_path)
    images = _one_case_input(tmp_path)
    code = main(["predict", "-i", str(images), "-o", str(tmp_path / "safe"), "-m", str(folder), "-f", "0",
                 "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 2
    assert str(folder / "fold_0" / "checkpoint_final.pth") in err
    assert "GLOBAL io.open" in err and "--trust-checkpoint" in err
    assert not marker.exists(), "the safe path must not run the payload"
    assert not (tmp_path / "safe" / "classification.csv").exists()

    code = main(["predict", "-i", str(images), "-o", str(tmp_path / "trusted"), "-m", str(folder), "-f", "0",
                 "--device", "cpu", "--trust-checkpoint"])
    assert code == 0
    assert marker.exists(), "--trust-checkpoint is nnU-Net's weights_only=False loading: the payload runs"


def test_safe_path_predicts_what_the_old_code_predicted(tmp_path):
    images = _one_case_input(tmp_path)
    out = tmp_path / "pred"
    assert main(["predict", "-i", str(images), "-o", str(out), "-m", str(MODEL), "-f", "0", "--device", "cpu"]) == 0
    expected = pd.read_csv(DATA / "predictions" / TRAINER / "classification.csv", dtype={"case_id": str})
    got = pd.read_csv(out / "classification.csv", dtype={"case_id": str})
    expected = expected[expected.case_id == "synth_test_0000"].reset_index(drop=True)
    numeric = expected.select_dtypes("number").columns
    assert list(got.columns) == list(expected.columns)
    np.testing.assert_allclose(got[numeric].to_numpy(float), expected[numeric].to_numpy(float), atol=1e-5,
                               equal_nan=True)
