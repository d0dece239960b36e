"""`segcls3d pretrain`: self-supervised pretraining of a plan's encoder on a preprocessed nnU-Net dataset.

The encoder is the one ``nnUNetTrainer`` builds for the plans and configuration; views come from every
preprocessed case (labels unused) plus optional extra image folders (:mod:`.cases`, :mod:`.views`).
Each epoch ends with ``checkpoint_latest.pth``; a rerun of the same command resumes there. The end
writes ``checkpoint_final.pth`` (the encoder, for ``segcls3d transfer``) and ``pretrained_unet.pth``, the
plan's whole U-Net with that encoder, which stock ``nnUNetv2_train -pretrained_weights`` accepts for
nnUNetTrainer, nnUNetTrainerSegCls and the other trainers that keep the plan's U-Net.
"""
from __future__ import annotations

import json
import logging
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Optional, Sequence

import numpy as np
import torch
from lightly.utils.scheduler import CosineWarmupScheduler
from nnunetv2.utilities.label_handling.label_handling import determine_num_input_channels
from nnunetv2.utilities.plans_handling.plans_handler import PlansManager
from tqdm import tqdm

from segcls3d.errors import InputDataError
from segcls3d.io.atomic import write_json_atomic
from segcls3d.model.builders import plan_network
from segcls3d.model.encoder_weights import build_trainer_network, read_encoder_state, write_initial_weights
from segcls3d.training.pretrain import distributed
from segcls3d.training.pretrain.cases import PretrainCases, preprocess_extra_images, preprocessed_cases
from segcls3d.training.pretrain.cass import CASS
from segcls3d.training.pretrain.dino import DINO
from segcls3d.training.pretrain.loader import start_augmenter
from segcls3d.training.pretrain.settings import PretrainSettings
from segcls3d.training.pretrain.state import (
    CHECKPOINT_FINAL,
    CHECKPOINT_LATEST,
    final_content,
    latest_content,
    read_run,
    save,
)
from segcls3d.training.pretrain.views import ViewKind, local_view_size, total_strides
from segcls3d.training.steps import autocast_for

logger = logging.getLogger(__name__)
PRETRAINED_UNET = "pretrained_unet.pth"
LOG_FILE = "pretrain_log.json"


@dataclass(frozen=True)
class PretrainResult:
    """Where the run wrote its encoder and how long pretraining took (all epochs, resumed runs included)."""

    folder: Path
    checkpoint: Path
    pretrained_unet: Path
    seconds: float
    losses: list[float]
    failed_extra: list[tuple[str, str]]


def view_kinds(settings: PretrainSettings, configuration_manager) -> list[ViewKind]:
    """DINO: global views of the patch size and smaller local views; CASS: one view of the patch size."""
    patch = tuple(int(p) for p in configuration_manager.patch_size)
    if settings.method == "cass":
        return [ViewKind("global", patch, 1)]
    kinds = [ViewKind("global", patch, settings.global_views)]
    if settings.local_views:
        strides = configuration_manager.network_arch_init_kwargs.get("strides") or [1]  # none: any size will do
        kinds.append(ViewKind("local", local_view_size(patch, total_strides(strides, len(patch)),
                                                       settings.local_scale), settings.local_views))
    return kinds


def build_model(settings: PretrainSettings, plans_manager, configuration_manager, dataset_json: dict):
    """DINO or CASS around a freshly initialised encoder of the plan."""
    num_inputs = determine_num_input_channels(plans_manager, configuration_manager, dataset_json)
    network = plan_network(configuration_manager, num_inputs, 2, enable_deep_supervision=False)
    encoder = getattr(network, "encoder", None)
    if encoder is None or not getattr(encoder, "output_channels", None):
        raise InputDataError(f"{type(network).__name__} (the plan's network) has no 'encoder' with "
                             "'output_channels'; pretraining needs one of nnU-Net's U-Nets (PlainConvUNet, "
                             "ResidualEncoderUNet)")
    if settings.method == "dino":
        return DINO(encoder, settings)
    return CASS(encoder, num_inputs, configuration_manager.patch_size, settings)


def pretrain(dataset_folder: Path, plans_name: str, configuration: str, settings: PretrainSettings, out: Path,
             extra_images: Sequence[Path] = (), device: str = "auto", overwrite: bool = False,
             progress: bool = True) -> Optional[PretrainResult]:
    """Pretrain the encoder of ``plans_name``/``configuration`` of the preprocessed dataset in ``dataset_folder``.

    Returns the result on the main process (None on the others).

    Raises:
        InputDataError: missing plans/configuration/preprocessed data, or a cascade configuration.
        ModelFolderError: ``out`` holds a run with other settings (see ``overwrite``).
    """
    plans_file = dataset_folder / f"{plans_name}.json"
    if not plans_file.is_file():
        raise InputDataError(f"{plans_file} not found: run nnUNetv2_plan_and_preprocess (and segcls3d plans) first")
    plans = json.loads(plans_file.read_text())
    dataset_json = json.loads((dataset_folder / "dataset.json").read_text())
    plans_manager = PlansManager(plans)
    if configuration not in plans["configurations"]:
        raise InputDataError(f"{plans_file}: no configuration '{configuration}' "
                             f"(available: {', '.join(plans['configurations'])})")
    manager = plans_manager.get_configuration(configuration)
    if manager.previous_stage_name is not None:
        raise InputDataError(f"'{configuration}' is a cascade stage (its input includes the previous stage's "
                             "segmentation); pretrain 3d_fullres or 3d_lowres instead")
    origin = {"dataset": dataset_folder.name, "plans": plans_name, "configuration": configuration,
              "extra_images": ", ".join(str(Path(p).resolve()) for p in extra_images)}
    processes = distributed.start_processes(device)
    if overwrite and processes.is_main and out.exists():
        shutil.rmtree(out)
    distributed.barrier(processes)
    out.mkdir(parents=True, exist_ok=True)
    _seed(settings.seed + processes.rank)

    datasets: list[tuple[str, object]] = [("", preprocessed_cases(dataset_folder / manager.data_identifier))]
    failed: list[tuple[str, str]] = []
    for i, folder in enumerate(extra_images):  # preprocessed by the main process, then read by all
        name = f"extra{i}_{Path(folder).name}"
        if processes.is_main:
            failed += preprocess_extra_images(Path(folder), out / name, plans_manager, manager, dataset_json,
                                              progress)[1]
        distributed.barrier(processes)
        datasets.append((name, preprocess_extra_images(Path(folder), out / name, plans_manager, manager,
                                                       dataset_json, progress=False)[0]))
    cases = PretrainCases(datasets)
    logger.info("pretraining %s on %d images (%s)", settings.method, len(cases), processes.device)

    model = build_model(settings, plans_manager, manager, dataset_json).to(processes.device)
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=settings.lr, weight_decay=settings.wd)
    scheduler = CosineWarmupScheduler(optimizer, int(settings.warmup_fraction * settings.total_steps),
                                      settings.total_steps)
    scaler = torch.amp.GradScaler("cuda") if processes.device.type == "cuda" else None
    log: list[dict] = []
    checkpoint = read_run(out / CHECKPOINT_LATEST, settings, origin)
    if checkpoint is not None:
        model.load_state_dict(checkpoint["model_state"])
        optimizer.load_state_dict(checkpoint["optimizer_state"])
        scheduler.load_state_dict(checkpoint["scheduler_state"])
        if scaler is not None and checkpoint["grad_scaler_state"] is not None:
            scaler.load_state_dict(checkpoint["grad_scaler_state"])
        log = list(checkpoint["segcls3d_pretrain"]["log"])
        logger.info("resuming %s after epoch %d", out, len(log))
    finished_before = len(log) == settings.epochs

    batch_size = settings.batch_size or manager.batch_size
    network = distributed.wrap(model, processes)
    augmenter = None
    try:
        for epoch in range(len(log), settings.epochs):
            if augmenter is None:
                augmenter = start_augmenter(cases, batch_size, view_kinds(settings, manager), manager,
                                            plans_manager.get_label_manager(dataset_json), processes.device)
            log.append(train_epoch(network, model, augmenter, optimizer, scheduler, scaler, settings, epoch,
                                    processes, progress))
            if processes.is_main:
                save(out / CHECKPOINT_LATEST, latest_content(model, optimizer, scheduler, scaler, epoch + 1, log,
                                                             settings, origin))
                write_json_atomic(out / LOG_FILE, {**origin, "settings": settings.to_dict(), "epochs": log,
                                                   "seconds": sum(e["seconds"] for e in log)})
            logger.info("epoch %d/%d: loss %.4f (%.1f s)", epoch + 1, settings.epochs, log[-1]["loss"],
                        log[-1]["seconds"])
    finally:
        if augmenter is not None and hasattr(augmenter, "_finish"):
            augmenter._finish()
    result = None
    if processes.is_main:
        final, unet_file = out / CHECKPOINT_FINAL, out / PRETRAINED_UNET
        if not (finished_before and final.is_file() and unet_file.is_file()):  # a rerun of a finished run: as is
            save(final, final_content(model, settings, origin, log))
            unet = build_trainer_network("nnUNetTrainer", plans, configuration, dataset_json)
            write_initial_weights(read_encoder_state(final), unet, unet_file)
        result = PretrainResult(out, final, unet_file, sum(e["seconds"] for e in log), [e["loss"] for e in log],
                                failed)
    distributed.barrier(processes)
    distributed.stop_processes(processes)
    return result


def train_epoch(network, model, augmenter, optimizer, scheduler, scaler, settings: PretrainSettings, epoch: int,
                 processes, progress: bool) -> dict:
    """One epoch of ``settings.iterations`` steps; returns its log entry (mean loss, seconds, last lr)."""
    network.train()
    start = perf_counter()
    losses = []
    bar = tqdm(range(settings.iterations), desc=f"{settings.method} epoch {epoch + 1}/{settings.epochs}",
               disable=not progress or not processes.is_main, leave=False)
    for iteration in bar:
        step = epoch * settings.iterations + iteration
        views = [v.to(processes.device, non_blocking=True) for v in next(augmenter)["views"]]
        optimizer.zero_grad(set_to_none=True)
        with autocast_for(processes.device):
            loss = network(views, step, settings.total_steps)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
        else:
            loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], settings.gradient_clip)
        model.after_backward(epoch)
        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        scheduler.step()
        model.after_step(step, settings.total_steps)
        losses.append(float(loss.detach()))
        bar.set_postfix(loss=f"{losses[-1]:.4f}")
    return {"epoch": epoch + 1, "loss": float(np.mean(losses)), "seconds": perf_counter() - start,
            "lr": float(scheduler.get_last_lr()[0])}


def _seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
