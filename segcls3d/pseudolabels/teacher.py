"""Run the teacher on one case: nnU-Net's mask and, for distillation, its tempered probabilities.

Both come from nnU-Net's own export (``convert_predicted_logits_to_segmentation_with_correct_shape``:
resample to the original spacing, undo the crop, undo the transposition). For the soft target it
is given ``logits / tau``: resampling is linear in the values, so the result is exactly
``softmax(z / tau)`` (``sigmoid(z / tau)`` for regions) of the teacher's logits z on the image grid,
with nnU-Net's convention outside the cropped region (certain background).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch


def teacher_outputs(teacher, files: Sequence[Path], temperature: Optional[float] = None):
    """(mask, soft target or None, image properties, reader/writer) for the channel files of a case.

    ``teacher`` is a :class:`segcls3d.model.loading.LoadedModel`; the mask is what nnU-Net's predictor
    would write; the soft target (C, *image array shape) float32 is only computed with ``temperature``.
    """
    from nnunetv2.inference.export_prediction import convert_predicted_logits_to_segmentation_with_correct_shape

    predictor = teacher.predictor
    pm, cm = predictor.plans_manager, predictor.configuration_manager
    rw = pm.image_reader_writer_class()
    image, properties = rw.read_images([str(f) for f in files])
    preprocessor = cm.preprocessor_class(verbose=False)
    data, _, data_properties = preprocessor.run_case_npy(image, None, dict(properties), pm, cm, predictor.dataset_json)
    logits = predictor.predict_logits_from_preprocessed_data(torch.from_numpy(np.ascontiguousarray(data))).cpu()
    if teacher.kind == "multitask":
        predictor.pop_head_probabilities()
    mask = convert_predicted_logits_to_segmentation_with_correct_shape(
        logits, pm, cm, predictor.label_manager, data_properties, return_probabilities=False)
    soft = None
    if temperature is not None:
        _, soft = convert_predicted_logits_to_segmentation_with_correct_shape(
            logits / float(temperature), pm, cm, predictor.label_manager, data_properties, return_probabilities=True)
        soft = np.asarray(soft, dtype=np.float32)
    return np.asarray(mask), soft, properties, rw
