"""Grad-CAM and Grad-CAM++ through MONAI (``monai.visualize.GradCAM`` / ``GradCAMpp``), for our networks.

What differs from MONAI's defaults, and why:

* **postprocessing**: MONAI's default normalizer maps each sample's (min, max) to (1, 0), which
  inverts the map and hides its scale; ours keeps the map as computed (ReLU of the weighted
  activations, upsampled linearly to the input size), so maps of different cases and folds stay
  comparable and a low maximum means little evidence;
* **score**: Grad-CAM++ multiplies by ``exp(score)``, a positive constant per map that overflows for
  a segmentation network's summed logit; :class:`ScoreHooks` hands MONAI ``score - score.detach()``
  (same gradients, ``exp`` = 1), summed over the batch so that MONAI's broadcasting of the score
  holds for any batch size.

MONAI registers its hooks on the network for good, so one :class:`CamComputer` is built per
network and layer and then reused (see :class:`segcls3d.model.saliency.compute.SaliencyModel`).
"""
from __future__ import annotations

import torch
from monai.visualize import GradCAM, GradCAMpp
from monai.visualize.class_activation_maps import ModelWithHooks

from segcls3d.model.saliency.class_scores import ClassScores

CAM_METHODS = {"gradcam": GradCAM, "gradcampp": GradCAMpp}


def keep_map(acti_map: torch.Tensor) -> torch.Tensor:
    """MONAI postprocessing that keeps the map as it is (no inversion, no per-sample normalisation)."""
    return acti_map


class ScoreHooks(ModelWithHooks):
    """MONAI's hooks; the class score is ``score - score.detach()`` summed over the batch (see module doc)."""

    def class_score(self, logits: torch.Tensor, class_idx: int) -> torch.Tensor:
        score = logits[:, class_idx]
        return (score - score.detach()).sum()


class CamComputer:
    """Grad-CAM (``gradcam``) or Grad-CAM++ (``gradcampp``) of ``scores`` at the module named ``layer``.

    ``layer`` is named within ``scores.network`` (e.g. ``encoder.stages.3``).
    """

    def __init__(self, scores: ClassScores, layer: str, method: str = "gradcam"):
        if method not in CAM_METHODS:
            raise ValueError(f"unknown CAM method '{method}' (choose from {', '.join(CAM_METHODS)})")
        self.layer = f"network.{layer}"
        hooks = ScoreHooks(scores, self.layer, register_forward=True, register_backward=True)
        self.cam = CAM_METHODS[method](nn_module=hooks, target_layers=self.layer, postprocessing=keep_map)

    def __call__(self, x: torch.Tensor, target: int) -> torch.Tensor:
        """``(B, 1, *spatial)`` map of target ``target`` (an index into ``scores.targets``) for input ``x``."""
        with torch.enable_grad():  # the input carries the graph: the network's weights may be frozen
            return self.cam(x.detach().requires_grad_(True), class_idx=int(target)).detach()
