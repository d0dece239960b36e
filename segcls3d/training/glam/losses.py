"""GLAM's losses (Liu et al., Sec. 3.3 and App. B) on image-level labels; unknown labels (NaN) add no BCE.

* global: ``L_g = sum_n BCE(y, y_n) + lambda * mean |S_n|`` over the saliency scales n;
* local: ``L_l = BCE(y, y_l) + lambda * mean |A|`` over the patch maps;
* joint: ``L_g + L_l + BCE(y, y_f)`` with the fusion module's prediction y_f.

The paper sums |S| over positions with lambda in 1e-5.5..1e-3.5 for its 184 x 120 maps; a mean keeps
one lambda meaningful for any map size (``sparsity_weight``).
"""
from __future__ import annotations

import torch

from segcls3d.model.glam import GLAMOutput
from segcls3d.model.glam.output_maps import EPS
from segcls3d.model.losses import masked_bce_with_logits


def masked_bce(probabilities: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """BCE of probabilities (as logits, so that it is autocast-safe) over the known labels."""
    return masked_bce_with_logits(torch.logit(probabilities.float().clamp(EPS, 1 - EPS)), labels)


def global_loss(out: GLAMOutput, labels: torch.Tensor, sparsity_weight: float) -> torch.Tensor:
    return sum(masked_bce(score, labels) + sparsity_weight * maps.float().abs().mean()
               for score, maps in zip(out.glob.scale_scores, out.glob.scale_maps))


def local_loss(out: GLAMOutput, labels: torch.Tensor, sparsity_weight: float) -> torch.Tensor:
    return masked_bce(out.local_score, labels) + sparsity_weight * out.patch_maps.float().abs().mean()


def joint_loss(out: GLAMOutput, labels: torch.Tensor, sparsity_weight: float) -> torch.Tensor:
    return (global_loss(out, labels, sparsity_weight) + local_loss(out, labels, sparsity_weight)
            + masked_bce_with_logits(out.fusion_logits.float(), labels))
