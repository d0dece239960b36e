"""GLAM models in ``segcls3d predict``: the saliency map of each class, written next to the mask.

A GLAM network returns its fused map as segmentation logits (:mod:`segcls3d.model.glam.output_maps`),
so nnU-Net's predictor already gives the mask (the map thresholded at 0.5) and, in its exported
probabilities, the map itself on the image's grid; the global module's image probability is
recorded like a multitask head's (``<class>_head_probability``). This module reads the maps back
from the probabilities and writes them as ``OUT/saliency/<class>/<case>.nii.gz`` (float32 in [0, 1],
the layout of ``segcls3d saliency``, which ``segcls3d evaluate --saliency`` reads).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from segcls3d.model.glam import GLAMNetwork, saliency_from_probabilities
from segcls3d.model.heads import unwrap
from segcls3d.model.loading import LoadedModel
from segcls3d.predict.case_arrays import SALIENCY_DIRNAME
from segcls3d.predict.saliency_export import write_map
from segcls3d.predict.saliency_run import map_path


def glam_network(model: LoadedModel) -> Optional[GLAMNetwork]:
    """The model's GLAM network, or None for any other model."""
    network = unwrap(model.predictor.network)
    return network if isinstance(network, GLAMNetwork) else None


def glam_map_classes(model: LoadedModel) -> list[str]:
    """Names of the classes that have a map (classification-only classes have none)."""
    network = glam_network(model)
    if network is None:
        return []
    return [name for name, channel in zip(model.class_names, network.outputs.class_channels) if channel is not None]


def write_glam_maps(model: LoadedModel, probabilities: np.ndarray, properties: dict, out_dir: Path,
                    case_id: str) -> np.ndarray:
    """Write the maps of one case from nnU-Net's exported probabilities; return them (n_classes, *image shape)."""
    maps = saliency_from_probabilities(probabilities, glam_network(model).outputs)
    for name, saliency in zip(glam_map_classes(model), maps):
        path = map_path(Path(out_dir) / SALIENCY_DIRNAME, name, case_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_map(saliency, path, properties)
    return maps


def glam_map_outputs(model: LoadedModel, case_id: str) -> list[str]:
    """The map files of a case, relative to the output folder (for predict's records)."""
    return [str(map_path(SALIENCY_DIRNAME, name, case_id)) for name in glam_map_classes(model)]
