"""MultiMix on the tiny 3D dataset where every case has a mask and a class label (no ignore label at all).

Then every batch holds masked cases only, nothing is pseudo-labelled (every class label is known) and
the KL term has no unannotated patch: MultiMix reduces to the Y-Net with the saliency bridge. Trained
in-process (``run_training``, no final validation), then predicted by ``segcls3d predict``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from segcls3d.cli.main import main

TRAINER = "nnUNetTrainerMultiMix_smoke"


def test_multimix_3d_with_masks_and_labels_everywhere(tiny_dataset_3d, nnunet_paths, tmp_path):
    from nnunetv2.run.run_training import get_trainer_from_args

    from segcls3d.model.multimix import has_saliency_bridge

    trainer = get_trainer_from_args(str(tiny_dataset_3d.dataset_id), "3d_fullres", 0, TRAINER, tiny_dataset_3d.plans,
                                    device=torch.device("cpu"))
    trainer.initialize()
    assert has_saliency_bridge(trainer.network) and trainer.label_manager.ignore_label is None
    train_loader, _ = trainer.get_dataloaders()
    loader = train_loader.data_loader
    assert loader.n_unlabeled == 0 and loader.n_labeled == trainer.batch_size  # every case has a mask
    trainer.run_training()
    with open(trainer.log_file) as handle:
        terms = [line for line in handle if "multimix: classification" in line]
    assert len(terms) == 2 and all("pseudo_label 0.0000" in t and "kl 0.0000" in t for t in terms)

    out = tmp_path / "pred"
    images = tiny_dataset_3d.raw / "imagesTs"
    assert main(["predict", "-i", str(images), "-o", str(out), "-m", str(trainer.output_folder_base), "--device",
                 "cpu", "--disable-tta", "--bridge-saliency"]) == 0
    csv = pd.read_csv(out / "classification.csv", dtype={"case_id": str})
    assert len(csv) == 8 and csv["target_head_probability"].between(0, 1).all()
    with np.load(out / "saliency" / f"{csv['case_id'][0]}.npz") as saliency:
        assert saliency["saliency"].shape == (1, 24, 24, 24)
