"""nnUNetTrainerMultiMix: MultiMix (Haque et al. 2021) on nnU-Net, for 2D and 3D plans.

The Y-Net of :class:`~segcls3d.training.multitask.nnUNetTrainerMultitask` (plan's U-Net + class head on
the bottleneck) gains MultiMix's saliency bridge (:mod:`segcls3d.model.multimix`) and its training:

* disjoint sources: a case may have a mask, a class label, both or neither (see
  :mod:`segcls3d.training.multimix.sources`; write the dataset with ``segcls3d pseudolabel partial
  --positives ignore --negatives ignore``);
* each sample comes as a weak and a strong view (:mod:`segcls3d.training.multimix.loader`); one forward
  pass over both gives the terms of :mod:`segcls3d.training.multimix.losses`, weighted
  ``cls_loss_weight`` / ``seg_loss_weight`` / ``pseudo_label_weight`` / ``kl_weight`` (1 / 5 / 0.25 /
  0.01, the authors' code), with pseudo labels at confidence >= ``confidence_threshold`` (0.7).

Validation, checkpoints and the exported model are the multitask trainer's; ``forward`` returns
segmentation logits only, so ``nnUNetv2_predict`` and ``segcls3d predict`` (head probability, g,
``--bridge-saliency``) work on the model.
"""
from __future__ import annotations

from functools import partial
from typing import Optional

import numpy as np
import torch

from segcls3d.model.heads import get_head, unwrap
from segcls3d.model.multimix import build_multimix_network
from segcls3d.training.dataloaders import build_augmenters
from segcls3d.training.multimix.loader import MultiMixDataLoader
from segcls3d.training.multimix.losses import MultiMixWeights, multimix_losses
from segcls3d.training.multimix.sources import class_targets, masked_samples
from segcls3d.training.multitask import nnUNetTrainerMultitask
from segcls3d.training.steps import autocast_for, backward_and_step, select_samples, to_device


class nnUNetTrainerMultiMix(nnUNetTrainerMultitask):
    """Multitask + saliency bridge + class pseudo labels (weak -> strong) + segmentation KL, disjoint sources."""

    cls_loss_weight: float = 1.0
    seg_loss_weight: float = 5.0
    pseudo_label_weight: float = 0.25
    kl_weight: float = 0.01
    confidence_threshold: float = 0.7
    unlabeled_fraction: float = 0.5  # share of each batch drawn from the cases without a mask
    strong_min_probability: Optional[float] = 0.5  # each intensity transform of the strong view; None: nnU-Net's
    saliency_create_graph: bool = False  # True: train through the saliency maps (double backpropagation)

    @staticmethod
    def build_network_architecture(plans_manager, configuration_manager, num_input_channels: int,
                                   num_output_channels: int, enable_deep_supervision: bool = True):
        return build_multimix_network(configuration_manager, num_input_channels, num_output_channels,
                                      enable_deep_supervision)

    def initialize(self):
        super().initialize()
        unwrap(self.network).saliency_create_graph = self.saliency_create_graph
        self._terms_log: list[dict[str, float]] = []

    @property
    def loss_weights(self) -> MultiMixWeights:
        return MultiMixWeights(self.cls_loss_weight, self.seg_loss_weight, self.pseudo_label_weight, self.kl_weight)

    def get_dataloaders(self):
        _, val_keys = self.do_split()
        loader = partial(MultiMixDataLoader, unlabeled_fraction=self.unlabeled_fraction,
                         strong_min_probability=self.strong_min_probability)
        return build_augmenters(self, loader, val_loader_class=self.loader_class,
                                val_options=self.sampling_options(val_keys, self.validation_positive_fraction))

    def train_step(self, batch: dict) -> dict:
        strong = batch["data"].to(self.device, non_blocking=True)
        weak = batch["data_weak"].to(self.device, non_blocking=True)
        target = to_device(batch["target"], self.device)
        n = strong.shape[0]
        masked = masked_samples(batch["n_labeled"], n)
        labels = class_targets(self.patch_labels(batch), self.batch_case_labels(batch["keys"]), masked)
        self.optimizer.zero_grad(set_to_none=True)
        with autocast_for(self.device):
            output = self.network(torch.cat([weak, strong]))
            logits = get_head(self.network).last_logits
            terms = multimix_losses(self.loss, select_samples(output, slice(n, 2 * n)), target, logits[:n],
                                    logits[n:], labels, masked, self.confidence_threshold,
                                    self.label_manager.has_regions)
            loss = terms.total(self.loss_weights)
        backward_and_step(self, loss)
        self._terms_log.append(terms.as_floats())
        return {"loss": loss.detach().cpu().numpy()}

    def on_train_epoch_end(self, train_outputs):
        super().on_train_epoch_end(train_outputs)
        if self._terms_log:
            means = {k: float(np.mean([t[k] for t in self._terms_log])) for k in self._terms_log[0]}
            self.print_to_log_file("multimix: " + ", ".join(f"{k} {v:.4f}" for k, v in means.items()))
        self._terms_log = []
