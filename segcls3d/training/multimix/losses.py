"""MultiMix's loss terms (Haque et al. 2021, Eqs. 1, 2, 5), each on the samples it is defined for.

* classification: BCE of the head on the weak views, entries with a known class label only;
* segmentation: nnU-Net's loss on the strong views of the samples from cases with a mask only;
* pseudo label: FixMatch's term per class: where the class label is unknown and the (detached)
  prediction on the weak view is confident, ``max(p, 1 - p) >= threshold``, BCE of the strong
  view's logit to the pseudo label ``p >= 0.5``; averaged over all unknown entries (an unconfident
  entry counts as 0, as FixMatch averages over all unlabelled samples);
* KL: ``KL(p_l || p_u)`` per voxel between the mean segmentation prediction of the masked samples
  (detached: the labelled data are the reference) and each unmasked sample's prediction; softmax
  over channels for labels, per-region Bernoulli for regions.

A term without samples is 0 (keeping the graph). The weights (authors' code: 1 / 5 / 0.25 / 0.01)
are applied by :meth:`MultiMixLosses.total`.

Example:
    >>> import torch
    >>> weak = torch.tensor([[3.0], [0.1]])  # confident positive, unconfident
    >>> strong = torch.zeros(2, 1, requires_grad=True)
    >>> loss, confident = pseudo_label_loss(strong, weak, torch.ones(2, 1, dtype=torch.bool), 0.7)
    >>> round(loss.item(), 4), confident  # BCE(0, 1) = log 2 on one of two entries
    (0.3466, 0.5)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from segcls3d.model.losses import masked_bce_with_logits
from segcls3d.training.steps import Output, highest_resolution, select_samples


@dataclass(frozen=True)
class MultiMixWeights:
    """Weights of the four terms (the authors' code: class 1, Dice 5, pseudo label 0.25, KL 0.01)."""

    classification: float = 1.0
    segmentation: float = 5.0
    pseudo_label: float = 0.25
    kl: float = 0.01


@dataclass(frozen=True)
class MultiMixLosses:
    """The unweighted terms of one batch and the share of unknown class entries that got a pseudo label."""

    classification: torch.Tensor
    segmentation: torch.Tensor
    pseudo_label: torch.Tensor
    kl: torch.Tensor
    confident_fraction: float

    def total(self, weights: MultiMixWeights) -> torch.Tensor:
        return (weights.classification * self.classification + weights.segmentation * self.segmentation
                + weights.pseudo_label * self.pseudo_label + weights.kl * self.kl)

    def as_floats(self) -> dict[str, float]:
        terms = {"classification": self.classification, "segmentation": self.segmentation,
                 "pseudo_label": self.pseudo_label, "kl": self.kl}
        return {**{k: float(v.detach()) for k, v in terms.items()}, "confident_fraction": self.confident_fraction}


def pseudo_label_loss(strong_logits: torch.Tensor, weak_logits: torch.Tensor, unknown: torch.Tensor,
                      threshold: float) -> tuple[torch.Tensor, float]:
    """(loss, confident share of the unknown entries); no gradient reaches ``weak_logits``."""
    if not bool(unknown.any()):
        return strong_logits.sum() * 0.0, 0.0
    p = torch.sigmoid(weak_logits.detach().float())
    confident = (torch.maximum(p, 1 - p) >= threshold) & unknown
    pseudo = (p >= 0.5).float()
    bce = F.binary_cross_entropy_with_logits(strong_logits.float(), pseudo, reduction="none")
    loss = (bce * confident.float()).sum() / unknown.sum()
    return loss, float(confident.sum()) / float(unknown.sum())


def segmentation_kl(labelled: torch.Tensor, unlabelled: torch.Tensor, has_regions: bool) -> torch.Tensor:
    """Mean per-voxel ``KL(mean_l p_l || p_u)`` of segmentation logits (B_l, C, ...) and (B_u, C, ...)."""
    if labelled.shape[0] == 0 or unlabelled.shape[0] == 0:
        return unlabelled.sum() * 0.0
    z_u = unlabelled.float()
    if has_regions:
        p = torch.sigmoid(labelled.detach().float()).mean(0, keepdim=True)
        q_log, q_log_not = F.logsigmoid(z_u), F.logsigmoid(-z_u)
        kl = (torch.special.xlogy(p, p) - p * q_log + torch.special.xlogy(1 - p, 1 - p) - (1 - p) * q_log_not)
        return kl.mean()
    p = torch.softmax(labelled.detach().float(), 1).mean(0, keepdim=True)
    kl = (torch.special.xlogy(p, p) - p * torch.log_softmax(z_u, 1)).sum(1)
    return kl.mean()


def multimix_losses(segmentation_loss: Callable[[Output, Output], torch.Tensor], strong_output: Output,
                    target: Output, weak_logits: torch.Tensor, strong_logits: torch.Tensor, labels: torch.Tensor,
                    masked: torch.Tensor, threshold: float, has_regions: bool) -> MultiMixLosses:
    """The four terms of a batch whose samples each come as a weak and a strong view.

    Args:
        segmentation_loss: nnU-Net's loss (deep supervision wrapper included).
        strong_output: segmentation logits of the strong views (a list with deep supervision).
        target: their targets (a list with deep supervision).
        weak_logits, strong_logits: (B, n_classes) head logits of the two views.
        labels: (B, n_classes) class labels of the samples, NaN = unknown.
        masked: (B,) bool, samples from cases with a mask.
    """
    labels = labels.to(weak_logits.device)
    masked = masked.to(weak_logits.device)
    classification = masked_bce_with_logits(weak_logits.float(), labels)
    if bool(masked.any()):
        segmentation = segmentation_loss(select_samples(strong_output, masked), select_samples(target, masked))
    else:
        segmentation = highest_resolution(strong_output).sum() * 0.0
    pseudo, confident = pseudo_label_loss(strong_logits, weak_logits, torch.isnan(labels), threshold)
    full = highest_resolution(strong_output)
    kl = segmentation_kl(full[masked], full[~masked], has_regions)
    return MultiMixLosses(classification, segmentation, pseudo, kl, confident)
