"""Saliency maps of one case for a trained model folder: preprocess like nnU-Net, one map per class, back.

The network sees the case the way it classifies it:

* a classifier (``nnUNetTrainerCls``): the whole preprocessed image shrunk to fit its patch and
  centred on the canvas, as at inference (:mod:`segcls3d.model.whole_image`);
* a segmentation or multitask network: the whole preprocessed image at once (2D configurations:
  each slice), zero-padded to at least the patch size and to a shape the network's strides divide;
  a segmentation network's score sums the class logits inside the padding only.

Maps are averaged over the model's folds (no mirroring), then exported to the image's grid
(:mod:`segcls3d.predict.saliency_export`). Classes: every image-level class for models with a
classification output; the classes that have output channels for a segmentation network.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch
from acvl_utils.cropping_and_padding.padding import pad_nd_image

from segcls3d.model.loading import LoadedModel
from segcls3d.model.saliency.canvas import canvas_to_image
from segcls3d.model.saliency.compute import SaliencyModel
from segcls3d.model.whole_image import fit_to_canvas, spatial_for_patch
from segcls3d.predict.saliency_export import maps_to_original

SLICES_PER_BATCH = 8


@dataclass
class CaseSaliency:
    """One case's maps ``(n_classes, *image array shape)``, class scores (logits, mean over folds), image properties."""

    maps: np.ndarray
    scores: np.ndarray
    properties: dict


def saliency_targets(model: LoadedModel) -> tuple[list[str], list[tuple[int, ...]]]:
    """Class names with a map and, per class, the head output or segmentation channels of its score."""
    if model.kind in ("classifier", "multitask"):
        return model.class_names, [(i,) for i in range(len(model.class_names))]
    names = [n for n in model.class_names if n in model.channel_groups]
    return names, [tuple(model.channel_groups[n]) for n in names]


class SaliencyPredictor:
    """Maps of every case for a loaded model (all its folds), with one method and target layer."""

    def __init__(self, model: LoadedModel, method: str = "gradcam", layer: Optional[str] = None):
        self.model = model
        self.class_names, targets = saliency_targets(model)
        predictor = model.predictor
        self.engine = SaliencyModel(predictor.network, targets, method, layer, kind=model.kind).to(predictor.device)
        self.device = predictor.device

    @property
    def layer(self) -> str:
        return self.engine.layer

    def case(self, files: Sequence[Path]) -> CaseSaliency:
        """Read, preprocess, compute the maps with every fold's weights and export them to the image grid."""
        p = self.model.predictor
        image, properties = p.plans_manager.image_reader_writer_class().read_images([str(f) for f in files])
        preprocessor = p.configuration_manager.preprocessor_class(verbose=False)
        data, _, data_properties = preprocessor.run_case_npy(image, None, properties, p.plans_manager,
                                                             p.configuration_manager, p.dataset_json)
        data = torch.from_numpy(np.ascontiguousarray(data)).float()
        maps, scores = [], []
        for parameters in p.list_of_parameters:
            self.engine.load_weights(parameters)
            fold_maps, fold_scores = self._preprocessed_maps(data, str(files[0]))
            maps.append(fold_maps)
            scores.append(fold_scores)
        mean = torch.stack(maps).mean(0)
        exported = maps_to_original(mean, p.plans_manager, p.configuration_manager, data_properties)
        return CaseSaliency(exported, np.mean(scores, axis=0), properties)

    def _preprocessed_maps(self, data: torch.Tensor, name: str) -> tuple[torch.Tensor, np.ndarray]:
        """``(n_classes, *data spatial)`` maps and ``(n_classes,)`` scores for preprocessed ``data`` (C, *spatial)."""
        patch = [int(s) for s in self.model.predictor.configuration_manager.patch_size]
        if self.model.kind == "classifier":
            image = spatial_for_patch(data, patch, name)
            canvas, _ = fit_to_canvas(image, patch)
            x = canvas[None].to(self.device)
            maps = canvas_to_image(self.engine.maps(x)[0].cpu(), image.shape[1:], patch)
            scores = self.engine.class_scores(x)[0].cpu().numpy()
            return (maps[:, None] if len(patch) == data.ndim - 2 else maps), scores
        if len(patch) == data.ndim - 1:
            maps, scores = self._padded_maps(data[None], patch)
            return maps[0], scores[0]
        parts = [self._padded_maps(data[:, z:z + SLICES_PER_BATCH].transpose(0, 1), patch)
                 for z in range(0, data.shape[1], SLICES_PER_BATCH)]  # a 2D network: batches of slices
        maps = torch.cat([m for m, _ in parts]).transpose(0, 1)
        scores = np.concatenate([s for _, s in parts])
        # the case's score: a segmentation network's logits summed over all slices, a head's maximum over slices
        return maps, (scores.sum(0) if self.model.kind == "segmentation" else scores.max(0))

    def _padded_maps(self, batch: torch.Tensor, patch: list[int]) -> tuple[torch.Tensor, np.ndarray]:
        """``(B, n, *spatial)`` maps and ``(B, n)`` scores of ``batch`` ``(B, C, *spatial)``, padded for the network."""
        strides = np.prod(np.array(self.model.predictor.configuration_manager.pool_op_kernel_sizes), axis=0)
        padded, slicer = pad_nd_image(batch, patch, "constant", {"value": 0}, True, [int(s) for s in strides])
        region = tuple(slicer[2:])
        x = padded.to(self.device)
        maps = self.engine.maps(x, region)[(slice(None), slice(None), *region)].cpu()
        return maps, self.engine.class_scores(x, region).cpu().numpy()
