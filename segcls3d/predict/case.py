"""Predict one case: probabilities, mask, summary row (and the head's probability where there is one)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from segcls3d.io import atomic_path
from segcls3d.model.loading import LoadedModel
from segcls3d.model.whole_image import classify_whole_image
from segcls3d.predict.case_arrays import SALIENCY_DIRNAME, CaseArrays, saliency_path
from segcls3d.predict.glam_maps import glam_map_outputs, glam_network, write_glam_maps
from segcls3d.predict.saliency_case import SaliencyPredictor
from segcls3d.summarize import class_probability_maps, geometry_from_properties, head_row, summary_row


def predict_case(model: LoadedModel, files: list[Path], summarizer, out_dir: Path, case_id: str,
                 save_probabilities: bool = False, previous_stage: Optional[Path] = None) -> dict:
    """Run one case through the model and write ``out_dir/<case>.nii.gz`` (+ ``.npz``); return its CSV row."""
    return predict_case_arrays(model, files, summarizer, out_dir, case_id, save_probabilities, previous_stage)[0]


def predict_case_arrays(model: LoadedModel, files: list[Path], summarizer, out_dir: Path, case_id: str,
                        save_probabilities: bool = False, previous_stage: Optional[Path] = None,
                        saliency: Optional[SaliencyPredictor] = None) -> tuple[dict, CaseArrays]:
    """:func:`predict_case`, also returning the image, mask and class maps (what an overlay is drawn from).

    ``saliency``: also write the case's maps to ``saliency/<case>.npz`` (``saliency``: one map per class
    in the input's array order, float16; ``classes``); overlays draw their maximum over classes.
    """
    predictor = model.predictor
    rw = predictor.plans_manager.image_reader_writer_class()
    image, properties = rw.read_images([str(f) for f in files])
    spacing = tuple(float(s) for s in properties["spacing"])
    if model.kind == "classifier":
        row = head_row(case_id, model.class_names, classify_case(model, image, properties))
        return row, CaseArrays(image, spacing)
    prev = rw.read_seg(str(previous_stage))[0] if previous_stage is not None else None
    segmentation, probabilities = predictor.predict_single_npy_array(image, properties, prev, None, True)
    ending = model.dataset_json["file_ending"]
    with atomic_path(out_dir / f"{case_id}{ending}") as tmp:
        rw.write_seg(segmentation, str(tmp), properties)
    if save_probabilities:
        with atomic_path(out_dir / f"{case_id}.npz") as tmp:
            with open(tmp, "wb") as handle:
                np.savez_compressed(handle, probabilities=probabilities.astype(np.float16))
    maps = class_probability_maps(probabilities, model.channel_groups)
    extra = {}
    if getattr(summarizer, "needs_features", False):  # embedding summarizers read the network's features
        extra["features"] = summarizer.case_features(predictor, image, properties)
    summary = summarizer.summarize(maps, properties["spacing"], geometry_from_properties(properties), **extra)
    head = predictor.pop_head_probabilities() if model.kind == "multitask" else None
    head_probs = dict(zip(model.class_names, head)) if head is not None else None
    row = summary_row(case_id, summary, head_probabilities=head_probs)
    heat = None
    if glam_network(model) is not None:  # GLAM: its saliency maps (the mask is their threshold at 0.5)
        glam_maps = write_glam_maps(model, probabilities, properties, out_dir, case_id)
        heat = glam_maps.max(0) if len(glam_maps) else None
    if saliency is not None:
        case_maps = saliency.case(files).maps
        path = saliency_path(out_dir, case_id)
        path.parent.mkdir(exist_ok=True)
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as handle:
                np.savez_compressed(handle, saliency=case_maps.astype(np.float16),
                                    classes=np.array(saliency.class_names))
        heat = case_maps.max(0)
    return row, CaseArrays(image, spacing, segmentation, maps, heat)


def classify_case(model: LoadedModel, image: np.ndarray, properties: dict) -> np.ndarray:
    """Preprocess like nnU-Net, then run the classifier on the whole image; mean over folds."""
    p = model.predictor
    preprocessor = p.configuration_manager.preprocessor_class(verbose=False)
    data, _, _ = preprocessor.run_case_npy(image, None, properties, p.plans_manager, p.configuration_manager,
                                           p.dataset_json)
    axes = p.allowed_mirroring_axes if p.use_mirroring else None
    probs = []
    p.network.to(p.device)
    for params in p.list_of_parameters:
        p.network.load_state_dict(params)
        probs.append(classify_whole_image(p.network, data, p.configuration_manager.patch_size, p.device, axes))
    return np.mean(probs, axis=0)


def case_outputs(model: LoadedModel, case_id: str, save_probabilities: bool = False,
                 saliency: bool = False) -> list[str]:
    """Names of the files :func:`predict_case` writes for a case (none for a classifier)."""
    if model.kind == "classifier":
        return []
    names = [f"{case_id}{model.dataset_json['file_ending']}"]
    names += [f"{case_id}.npz"] if save_probabilities else []
    names += glam_map_outputs(model, case_id)
    return names + [f"{SALIENCY_DIRNAME}/{case_id}.npz"] if saliency else names
