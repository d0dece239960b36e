"""Saliency maps from nnU-Net's preprocessed grid back to the input image's grid, written as NIfTI.

The way back is nnU-Net's own export of probabilities
(``convert_predicted_logits_to_segmentation_with_correct_shape``): the configuration's
``resampling_fn_probabilities`` to the cropped original shape, the crop undone with
``insert_crop_into_image`` (zero outside the crop: no evidence there), the axes transposed back.
Maps are written as float32 with the image's spacing, origin and direction (SimpleITK readers);
images read by other nnU-Net readers get their spacing only.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import SimpleITK as sitk
import torch
from acvl_utils.cropping_and_padding.bounding_boxes import insert_crop_into_image

from segcls3d.io import atomic_path

logger = logging.getLogger(__name__)


def maps_to_original(maps: np.ndarray | torch.Tensor, plans_manager, configuration_manager,
                     properties: dict) -> np.ndarray:
    """``(n, *preprocessed shape)`` maps -> ``(n, *image array shape)``, as nnU-Net exports probabilities."""
    maps = torch.as_tensor(maps).float()
    spacing_transposed = [properties["spacing"][i] for i in plans_manager.transpose_forward]
    shape = properties["shape_after_cropping_and_before_resampling"]
    current_spacing = configuration_manager.spacing if len(configuration_manager.spacing) == len(shape) \
        else [spacing_transposed[0], *configuration_manager.spacing]
    resampled = configuration_manager.resampling_fn_probabilities(maps, shape, current_spacing, spacing_transposed)
    resampled = np.asarray(resampled.cpu().numpy() if isinstance(resampled, torch.Tensor) else resampled,
                           dtype=np.float32)
    full = np.zeros((resampled.shape[0], *properties["shape_before_cropping"]), dtype=np.float32)
    full = insert_crop_into_image(full, resampled, properties["bbox_used_for_cropping"])
    full = full.transpose([0] + [i + 1 for i in plans_manager.transpose_backward])
    return np.clip(full, 0.0, None)


def write_map(saliency: np.ndarray, path: Path, properties: dict) -> Path:
    """Write one map ``(z, y, x)`` (a single slice ``(1, y, x)`` for 2D images) atomically as float32."""
    stuff = properties.get("sitk_stuff")
    array = np.asarray(saliency, dtype=np.float32)
    if stuff is not None:
        if len(stuff["spacing"]) == 2:
            array = array[0]
        image = sitk.GetImageFromArray(array)
        image.SetSpacing(stuff["spacing"])
        image.SetOrigin(stuff["origin"])
        image.SetDirection(stuff["direction"])
        if "original_orientation" in stuff:  # SimpleITKIOWithReorient read the image reoriented
            image = sitk.DICOMOrient(image, stuff["original_orientation"])
    else:
        logger.debug("%s: image read without SimpleITK geometry; the map gets the spacing only", path)
        image = sitk.GetImageFromArray(array)
        image.SetSpacing([float(s) for s in reversed(properties["spacing"])])
    with atomic_path(path) as tmp:
        sitk.WriteImage(image, str(tmp), True)
    return Path(path)
