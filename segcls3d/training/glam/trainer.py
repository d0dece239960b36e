"""nnUNetTrainerGLAM: weakly-supervised high-resolution saliency maps from image-level labels (Liu et al.).

One ``nnUNetv2_train`` run trains the paper's three stages one after the other (``stage_fractions`` of
the epochs, see :mod:`segcls3d.training.glam.stages`):

1. **global**: the global module on the whole image (shrunk), ``L_g``;
2. **local**: global module frozen; K patches per image, chosen greedily on S_g for images with a
   positive label and at random for negative images (App. G.2); local module with concatenation
   aggregation, ``L_l``;
3. **joint**: everything, attention aggregation and the fusion module, ``L_g + L_l + L_f``.

Each epoch knows its stage, so ``--c`` resumes inside a stage; the last epoch of the global and local
stages also writes ``checkpoint_latest.pth`` and a snapshot ``checkpoint_glam_<stage>.pth`` (predict
with ``-chk checkpoint_glam_global.pth`` to get the global module's map S_g alone). Input, sampling and
AUROC validation are the classifier's (:class:`nnUNetTrainerCls`, whole images, masks never read).
``val_auroc`` is the global module's (GLAM's classification output); ``checkpoint_best`` is chosen on
the moving average of the current stage's own output (global AUROC, local AUROC in the local stage),
so it always belongs to the last stage reached.
"""
from __future__ import annotations

from os.path import join
from typing import List

import numpy as np
import torch

from segcls3d.model.glam import STAGES, GLAMConfig, GlobalClassifier, build_glam_network, store_glam_config
from segcls3d.model.glam.patch_selection import Start, random_patches, select_patches
from segcls3d.model.heads import unwrap
from segcls3d.training.cls import nnUNetTrainerCls
from segcls3d.training.glam.losses import global_loss, joint_loss, local_loss
from segcls3d.training.glam.stages import StageSchedule, StagewisePolyLR
from segcls3d.training.logging_keys import mean_known, moving_average
from segcls3d.training.patch_scores import per_class_auroc
from segcls3d.training.steps import autocast_for


class nnUNetTrainerGLAM(nnUNetTrainerCls):
    """GLAM: global module -> patch selection -> local module -> fusion, trained in three stages."""

    glam: GLAMConfig = GLAMConfig()
    #: shares of the epochs for the global, local and joint stages (paper: 50, 20 and < 5 epochs)
    stage_fractions: tuple[float, float, float] = (0.5, 0.3, 0.2)
    #: lambda of the sparsity term (mean of the maps)
    sparsity_weight: float = 0.1
    #: patch aggregation of the local stage (the paper's concatenation) and of the joint stage (attention)
    local_aggregation: str = "concat"
    joint_aggregation: str = "attention"

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict,
                 device: torch.device = torch.device("cuda")):
        super().__init__(store_glam_config(plans, configuration, dataset_json, self.glam), configuration, fold,
                         dataset_json, device)
        self.add_logging_keys("val_local_auroc", "glam_stage")

    @staticmethod
    def build_network_architecture(plans_manager, configuration_manager, num_input_channels: int,
                                   num_output_channels: int, enable_deep_supervision: bool = True):
        return build_glam_network(configuration_manager, num_input_channels, num_output_channels)

    @property
    def stages(self) -> StageSchedule:
        return StageSchedule.from_fractions(self.num_epochs, self.stage_fractions)

    def configure_optimizers(self):
        optimizer, _ = super().configure_optimizers()
        return optimizer, StagewisePolyLR(optimizer, self.initial_lr, self.stages)

    def on_train_start(self):
        super().on_train_start()
        patch, median = self.configuration_manager.patch_size, self.configuration_manager.median_image_size_in_voxels
        if any(m > p for m, p in zip(median[-len(patch):], patch)):
            self.print_to_log_file(f"segcls3d: WARNING: the median image {list(median)} exceeds the patch "
                                   f"{list(patch)}: GLAM sees whole images shrunk to the patch, and loses the "
                                   "resolution it is meant for; use a plan whose patch covers the images",
                                   also_print_to_console=True)

    # --- stages ------------------------------------------------------------------------------
    @property
    def stage(self) -> str:
        return self.stages.stage_at(self.current_epoch)

    def enter_stage(self, stage: str) -> None:
        """Freeze what the stage does not train (frozen parameters get no gradient, so SGD skips them)."""
        network = unwrap(self.network)
        network.set_stage(stage)
        network.global_module.requires_grad_(stage != "local")
        network.local_module.requires_grad_(stage != "global")
        network.fusion.requires_grad_(stage == "joint")

    def on_train_epoch_start(self):
        stage = self.stage
        self.enter_stage(stage)
        if self.current_epoch == self.stages.start(stage) and self.current_epoch > 0:
            self._best_ema = None  # checkpoint_best belongs to the last stage reached
            self.print_to_log_file(f"segcls3d: GLAM stage '{stage}' starts", also_print_to_console=True)
        super().on_train_epoch_start()
        self.logger.log("glam_stage", float(STAGES.index(stage)), self.current_epoch)

    def on_epoch_end(self):
        epoch, stage = self.current_epoch, self.stage
        super().on_epoch_end()
        if self.stages.is_last_epoch_of_stage(epoch) and epoch != self.num_epochs - 1:
            self.current_epoch = epoch  # save_checkpoint records current_epoch + 1: the next stage's first epoch
            try:
                self.save_checkpoint(join(self.output_folder, f"checkpoint_glam_{stage}.pth"))
                self.save_checkpoint(join(self.output_folder, "checkpoint_latest.pth"))
            finally:
                self.current_epoch = epoch + 1

    # --- steps -------------------------------------------------------------------------------
    def patch_starts(self, global_map: torch.Tensor, labels: torch.Tensor, k: int) -> list[list[Start]]:
        """Greedy boxes on S_g; random boxes for images whose known labels are all negative (App. G.2)."""
        patch = unwrap(self.network).local_patch
        starts = []
        for m, y in zip(global_map.detach(), labels):
            negative = bool((~torch.isnan(y)).any()) and bool((y[~torch.isnan(y)] == 0).all())
            starts.append(random_patches(m.shape[1:], patch, k) if negative else select_patches(m, patch, k))
        return starts

    def _step(self, batch: dict, label_aware: bool = True):
        """Loss of the current stage, (global, local) image scores, labels (Cls's ``train_step`` uses the loss)."""
        data = batch["data"].to(self.device, non_blocking=True)
        labels = self.batch_case_labels(batch["keys"]).to(self.device)
        network, stage = unwrap(self.network), self.stage
        with autocast_for(self.device):
            if stage == "global":
                out = network.run(data, with_local=False)
                return global_loss(out, labels, self.sparsity_weight), (out.glob.score, None), labels
            select = (lambda maps, k: self.patch_starts(maps, labels.cpu(), k)) if label_aware else None
            aggregation = self.local_aggregation if stage == "local" else self.joint_aggregation
            out = network.run(data, k=self.glam.patches_train, select=select, aggregation=aggregation)
            loss_fn = local_loss if stage == "local" else joint_loss
            return loss_fn(out, labels, self.sparsity_weight), (out.glob.score, out.local_score), labels

    def validation_step(self, batch: dict) -> dict:
        loss, (global_score, local_score), labels = self._step(batch, label_aware=False)  # greedy, as at inference
        return {"loss": loss.detach().cpu().numpy(), "probs": global_score.float().cpu().numpy(),
                "local_probs": None if local_score is None else local_score.float().cpu().numpy(),
                "labels": labels.cpu().numpy()}

    def on_validation_epoch_end(self, val_outputs: List[dict]):
        labels = np.concatenate([o["labels"] for o in val_outputs])
        self.logger.log("val_losses", float(np.mean([o["loss"] for o in val_outputs])), self.current_epoch)
        mean = self.log_auroc("val_auroc", per_class_auroc(labels, np.concatenate([o["probs"] for o in val_outputs])),
                              "Validation AUROC, global module (whole images)")
        local = float("nan")
        if val_outputs[0]["local_probs"] is not None:
            local_probs = np.concatenate([o["local_probs"] for o in val_outputs])
            local = mean_known(per_class_auroc(labels, local_probs))
            self.print_to_log_file("Validation AUROC, local module:", np.round(local, 4))
        self.logger.log("val_local_auroc", local, self.current_epoch)
        metric = local if self.stage == "local" else mean
        ema = moving_average(self._stage_values("ema_val_auroc"), metric)
        self.logger.log("ema_val_auroc", ema, self.current_epoch)

    def _stage_values(self, key: str) -> list[float]:
        """Values of ``key`` logged since the current stage started (the moving average restarts each stage)."""
        values = self.logger.local_logger.my_fantastic_logging[key]
        return list(values[self.stages.start(self.stage): self.current_epoch])

    # --- final validation ----------------------------------------------------------------------
    def validation_rows(self, save_probabilities: bool) -> list[dict]:
        """The classifier's whole-image validation, run on the global module (GLAM's classification output)."""
        network = self.network
        self.network = GlobalClassifier(unwrap(network))
        try:
            return super().validation_rows(save_probabilities)
        finally:
            self.network = network
