"""GLAMNetwork: global module -> patch selection -> local module -> fusion (Liu et al., Fig. 2 and 3).

``forward(x)`` is what nnU-Net's predictor calls: it returns the fused saliency map of each class as
segmentation logits (:mod:`segcls3d.model.glam.output_maps`), so sliding-window prediction, mirroring
and export give the map in the input's geometry and nnU-Net's mask is the map thresholded at 0.5.
The global module's image probability of the same call is published on ``segcls3d_head`` (the
multitask head's protocol, :mod:`segcls3d.model.heads`): our predictor records it like a head.

:meth:`GLAMNetwork.run` returns every intermediate result (:class:`GLAMOutput`) for training.
``glam_stage`` (a buffer, saved with the weights) is the training stage reached: before the local
stage the local module is untrained, and ``forward`` returns the global map S_g alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from segcls3d.model.glam.config import GLAMConfig, OutputChannels
from segcls3d.model.glam.global_module import GlobalModule, GlobalOutput
from segcls3d.model.glam.local_module import LocalModule
from segcls3d.model.glam.output_maps import EPS, saliency_to_logits
from segcls3d.model.glam.patch_selection import Start, crop_patches, paste_patches, select_patches
from segcls3d.model.heads import HEAD_ATTRIBUTE

STAGES = ("global", "local", "joint")
#: (global maps (B, classes, *spatial), k) -> k box starts per image
Selector = Callable[[torch.Tensor, int], list[list[Start]]]


@dataclass
class GLAMOutput:
    """Everything one GLAM pass computes (local parts are None when the local module is skipped).

    ``global_map``, ``local_map`` and ``saliency`` (the fused S_c) are at the input's resolution; scores are
    probabilities (B, classes); ``fusion_logits`` are logits.
    """

    glob: GlobalOutput
    global_map: torch.Tensor
    starts: Optional[list[list[Start]]] = None
    patch_maps: Optional[torch.Tensor] = None
    local_score: Optional[torch.Tensor] = None
    local_map: Optional[torch.Tensor] = None
    fusion_logits: Optional[torch.Tensor] = None
    saliency: Optional[torch.Tensor] = None


class ImageScores(nn.Module):
    """Holds the image-level logits of the last forward pass (``record``: keep every pass, for the predictor)."""

    def __init__(self):
        super().__init__()
        self.last_logits: Optional[torch.Tensor] = None
        self.record: Optional[list[torch.Tensor]] = None

    def publish(self, probabilities: torch.Tensor) -> None:
        self.last_logits = torch.logit(probabilities.float().clamp(EPS, 1 - EPS))  # keeps the graph (Grad-CAM)
        if self.record is not None:
            self.record.append(self.last_logits.detach())


def _resize(maps: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    if tuple(maps.shape[2:]) == tuple(size):
        return maps
    return F.interpolate(maps, size=tuple(size), mode="bilinear" if maps.ndim == 4 else "trilinear",
                         align_corners=False)


class GLAMNetwork(nn.Module):
    """GLAM on nnU-Net encoders; 2D or 3D as the plan."""

    segcls3d_kind = "glam"

    def __init__(self, global_module: GlobalModule, local_module: LocalModule, config: GLAMConfig,
                 outputs: OutputChannels, local_patch: Sequence[int]):
        super().__init__()
        self.global_module = global_module
        self.local_module = local_module
        num_classes = len(outputs.class_channels)
        self.fusion = nn.Linear(global_module.feature_channels + local_module.feature_channels, num_classes)
        self.config, self.outputs, self.local_patch = config, outputs, tuple(int(p) for p in local_patch)
        self.register_buffer("glam_stage", torch.zeros((), dtype=torch.long))
        self.add_module(HEAD_ATTRIBUTE, ImageScores())

    @property
    def stage(self) -> str:
        return STAGES[int(self.glam_stage)]

    def set_stage(self, stage: str) -> None:
        self.glam_stage.fill_(STAGES.index(stage))

    def global_input(self, x: torch.Tensor) -> torch.Tensor:
        """The whole image shrunk by ``global_downsample`` per axis (area averaging; axes stay >= 8 voxels)."""
        size = [max(min(n, 8), int(round(n / self.config.global_downsample))) for n in x.shape[2:]]
        return x if list(x.shape[2:]) == size else F.interpolate(x, size=size, mode="area")

    def run(self, x: torch.Tensor, k: Optional[int] = None, select: Optional[Selector] = None,
            with_local: bool = True, aggregation: str = "attention") -> GLAMOutput:
        """One GLAM pass with ``k`` patches per image (default: ``patches_inference``).

        ``select(global_map, k)`` chooses the boxes instead of the greedy selection on S_g (the trainer's
        label-aware choice).
        """
        glob = self.global_module(self.global_input(x))
        global_map = _resize(glob.saliency, x.shape[2:])
        out = GLAMOutput(glob, global_map, saliency=global_map)
        if not with_local:
            return out
        k = k or self.config.patches_inference
        if select is None:
            starts = [select_patches(m, self.local_patch, k) for m in global_map.detach()]
        else:
            starts = select(global_map.detach(), k)
        patches = torch.cat([crop_patches(image, s, self.local_patch) for image, s in zip(x, starts)])
        maps, features = self.local_module(patches)
        out.local_score, z_l = self.local_module.aggregate(maps, features, k, aggregation)
        full = _resize(maps, self.local_patch)
        out.local_map = torch.stack([paste_patches(full[i * k:(i + 1) * k], s, x.shape[2:])
                                     for i, s in enumerate(starts)])
        out.starts, out.patch_maps = starts, maps
        out.fusion_logits = self.fusion(torch.cat([glob.features, z_l], dim=1))
        gamma = self.config.global_map_weight
        out.saliency = gamma * global_map + (1 - gamma) * out.local_map
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.run(x, with_local=self.stage != "global")
        getattr(self, HEAD_ATTRIBUTE).publish(out.glob.score)
        return saliency_to_logits(out.saliency, self.outputs)


class GlobalClassifier(nn.Module):
    """A GLAM network seen as an image classifier: ``forward`` returns the global module's logits.

    GLAM's classification output is the global module's (Sec. 3.1); this view lets the classifier's
    whole-image inference (:func:`segcls3d.model.whole_image.classify_whole_image`) run it.
    """

    def __init__(self, network: GLAMNetwork):
        super().__init__()
        self.network = network

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        score = self.network.run(x, with_local=False).glob.score
        return torch.logit(score.float().clamp(EPS, 1 - EPS))
