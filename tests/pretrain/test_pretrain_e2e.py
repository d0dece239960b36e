"""`segcls3d pretrain` end to end on the tiny 2D and 3D datasets, then fine-tuning with stock nnUNetv2_train.

DINO (2D) -> pretrained_unet.pth -> ``nnUNetv2_train -tr nnUNetTrainerSegCls_frozenSmoke -pretrained_weights``;
CASS (3D, imagesTs added) -> ``segcls3d transfer -tr nnUNetTrainerCls_frozenSmoke`` -> ``nnUNetv2_train
-pretrained_weights``. The ``_frozenSmoke`` schedules train at learning rate 0, so their checkpoint holds exactly
the weights training started from: the test compares those tensors with the pretrained encoder.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from segcls3d.cli.main import main
from segcls3d.model.checkpoint import read_checkpoint
from segcls3d.model.encoder_weights import read_encoder_state
from segcls3d.pipeline import model_folder, train
from segcls3d.training.pretrain import run as pretrain_run
from segcls3d.training.pretrain.settings import PretrainSettings

TINY_DINO = ["--epochs", "2", "--iterations", "2", "--out-dim", "64", "--local-views", "2", "--device", "cpu"]


def _pretrain(dataset, out: Path, method: str, *extra: str) -> int:
    return main(["pretrain", "-d", str(dataset.dataset_id), "-c", dataset.configuration, "-p", dataset.plans,
                 "--method", method, "-o", str(out), *extra])


def _weights(path: Path) -> dict[str, torch.Tensor]:
    """``network_weights`` of a file (nnU-Net checkpoints hold numpy scalars: read as predict reads them)."""
    return read_checkpoint(path)["network_weights"] if "checkpoint" in path.name else \
        torch.load(path, map_location="cpu", weights_only=True)["network_weights"]


def _finetuned(nnunet_paths, dataset, trainer: str, init: Path) -> dict[str, torch.Tensor]:
    log = nnunet_paths.results / f"{dataset.name}_{trainer}.log"
    train(dataset.dataset_id, dataset.configuration, 0, trainer, dataset.plans, "cpu",
          extra_args=("-pretrained_weights", str(init)), log_file=log)
    assert "Loading pretrained weights from file" in log.read_text()
    folder = model_folder(nnunet_paths.results, dataset.name, trainer, dataset.plans, dataset.configuration)
    return _weights(folder / "fold_0" / "checkpoint_final.pth")


def test_dino_2d_pretrains_resumes_and_its_unet_starts_segcls(tiny_dataset_2d, nnunet_paths, tmp_path):
    out = tmp_path / "dino"
    assert _pretrain(tiny_dataset_2d, out, "dino", *TINY_DINO) == 0
    log = json.loads((out / "pretrain_log.json").read_text())
    assert [e["epoch"] for e in log["epochs"]] == [1, 2] and log["seconds"] > 0
    assert all(np.isfinite(e["loss"]) and e["loss"] > 0 for e in log["epochs"])
    encoder = read_encoder_state(out / "checkpoint_final.pth")
    unet = _weights(out / "pretrained_unet.pth")
    assert all(torch.equal(unet[f"encoder.{k}"], v) for k, v in encoder.items())
    # the exported encoder is DINO's teacher, which the student's training moved away from its initial weights
    latest = torch.load(out / "checkpoint_latest.pth", weights_only=True)["model_state"]
    assert all(torch.equal(latest[f"teacher_backbone.encoder.{k}"], v) for k, v in encoder.items())
    assert any(not torch.equal(latest[f"student_backbone.encoder.{k}"], v) for k, v in encoder.items())

    # rerunning the finished command changes nothing; other settings are refused
    stamp = (out / "pretrained_unet.pth").stat().st_mtime_ns
    assert _pretrain(tiny_dataset_2d, out, "dino", *TINY_DINO) == 0
    assert json.loads((out / "pretrain_log.json").read_text()) == log
    assert (out / "pretrained_unet.pth").stat().st_mtime_ns == stamp
    assert _pretrain(tiny_dataset_2d, out, "dino", *TINY_DINO, "--lr", "1e-3") == 2

    finetuned = _finetuned(nnunet_paths, tiny_dataset_2d, "nnUNetTrainerSegCls_frozenSmoke",
                           out / "pretrained_unet.pth")
    compared = [k for k in unet if ".seg_layers." not in k]
    assert compared and finetuned.keys() == unet.keys()
    assert all(torch.equal(finetuned[k], unet[k]) for k in compared)


def test_cass_3d_with_test_images_transfers_into_cls(tiny_dataset_3d, nnunet_paths, tmp_path):
    out = tmp_path / "cass"
    images_ts = tiny_dataset_3d.raw / "imagesTs"
    assert _pretrain(tiny_dataset_3d, out, "cass", "--epochs", "1", "--iterations", "3", "--transformer-size", "tiny",
                     "--extra-images", str(images_ts), "--device", "cpu") == 0
    extra = sorted(p.stem for p in (out / "extra0_imagesTs").glob("*.pkl"))
    assert extra == sorted(p.name[:-len("_0000.nii.gz")] for p in images_ts.glob("*_0000.nii.gz"))
    encoder = read_encoder_state(out / "checkpoint_final.pth")

    init = tmp_path / "cls_init.pth"
    assert main(["transfer", "--encoder-from", str(out / "checkpoint_final.pth"), "-d", tiny_dataset_3d.name,
                 "-c", tiny_dataset_3d.configuration, "-p", tiny_dataset_3d.plans,
                 "-tr", "nnUNetTrainerCls_frozenSmoke", "-o", str(init)]) == 0
    start = _weights(init)
    assert {k.split(".")[0] for k in start} == {"encoder", "head"}
    finetuned = _finetuned(nnunet_paths, tiny_dataset_3d, "nnUNetTrainerCls_frozenSmoke", init)
    assert all(torch.equal(finetuned[f"encoder.{k}"], v) for k, v in encoder.items())
    assert torch.equal(finetuned["head.fc.weight"], start["head.fc.weight"])


def test_interrupted_run_resumes_after_its_last_epoch(tiny_dataset_2d, nnunet_paths, tmp_path, monkeypatch):
    folder = nnunet_paths.preprocessed / tiny_dataset_2d.name
    settings = PretrainSettings(method="dino", epochs=2, iterations=1, out_dim=64, local_views=0)
    original = pretrain_run.train_epoch

    def interrupted(*args, **kwargs):
        if args[7] == 1:  # the second epoch
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(pretrain_run, "train_epoch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pretrain_run.pretrain(folder, tiny_dataset_2d.plans, "2d", settings, tmp_path, device="cpu", progress=False)
    first = json.loads((tmp_path / "pretrain_log.json").read_text())["epochs"]
    assert len(first) == 1 and not (tmp_path / "checkpoint_final.pth").exists()
    monkeypatch.setattr(pretrain_run, "train_epoch", original)
    result = pretrain_run.pretrain(folder, tiny_dataset_2d.plans, "2d", settings, tmp_path, device="cpu",
                                   progress=False)
    log = json.loads((tmp_path / "pretrain_log.json").read_text())["epochs"]
    assert log[0] == first[0] and [e["epoch"] for e in log] == [1, 2]
    assert result.seconds == pytest.approx(sum(e["seconds"] for e in log))
    assert (tmp_path / "checkpoint_final.pth").is_file()
