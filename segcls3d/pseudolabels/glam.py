"""GLAM teacher + class labels -> an nnU-Net raw dataset with weak masks (weakly-supervised seg-for-class).

The full path from "class labels only" to "classifier with masks": a GLAM model trained on the image
labels (``nnUNetTrainerGLAM``) draws the mask of every training case without one (and of ``images``),
and ``nnUNetTrainerSegCls`` then trains on them. Per case, the GLAM map of each class is thresholded
(``threshold``, default 0.5: the mask ``segcls3d predict`` writes; :func:`maps_to_segmentation`) and
the class labels fix it as in ``boosted`` (:func:`segcls3d.pseudolabels.boosted.boost_pseudo_mask`):
negatives get an empty mask, positives whose map has no voxel above the threshold are excluded,
unknown cases keep GLAM's mask. Cases that have a mask keep it.

Also written, as by the other modes: classification_labels.csv, pseudolabel_log.csv (case, mode
``glam``, action, voxels, reason), the test split, ``segcls3d.pseudo_labels`` in dataset.json.
Rerunning the same command resumes.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional, Union

from tqdm import tqdm

from segcls3d.errors import InputDataError, ModelFolderError
from segcls3d.model.glam import GLAMNetwork, saliency_from_probabilities
from segcls3d.model.glam.output_maps import maps_to_segmentation
from segcls3d.model.heads import unwrap
from segcls3d.model.loading import LoadedModel
from segcls3d.pseudolabels.boosted import boost_pseudo_mask
from segcls3d.pseudolabels.dataset_files import link_or_copy, remove_case_files, write_mask
from segcls3d.pseudolabels.finish import finish_dataset
from segcls3d.pseudolabels.pseudolabel import case_labels, copy_labeled_case, pseudo_cases
from segcls3d.pseudolabels.raw_dataset import RawDataset, check_same_labels
from segcls3d.pseudolabels.records import CaseRecord, RecordStore
from segcls3d.pseudolabels.teacher import teacher_outputs

logger = logging.getLogger(__name__)
PathLike = Union[str, Path]
MODE = "glam"


def glam_teacher_network(teacher: LoadedModel) -> GLAMNetwork:
    """The GLAM network of ``teacher``.

    Raises:
        ModelFolderError: the model was not trained with nnUNetTrainerGLAM.
    """
    network = unwrap(teacher.predictor.network)
    if not isinstance(network, GLAMNetwork):
        raise ModelFolderError(f"{teacher.folder}: not a GLAM model (train it with -tr nnUNetTrainerGLAM); "
                               "for other teachers use the plain or boosted mode")
    return network


def write_glam_dataset(teacher: LoadedModel, raw: PathLike, out_dir: PathLike, images: Optional[PathLike] = None,
                       labels_csv: Optional[PathLike] = None, threshold: float = 0.5, overwrite: bool = False,
                       progress: bool = True) -> list[CaseRecord]:
    """Write the dataset of GLAM masks (see the module doc); one record per training case.

    Args:
        teacher: a GLAM model (``load_model``).
        raw: raw dataset; its training cases without a mask in labelsTr get GLAM masks.
        out_dir: the new raw dataset folder, e.g. ``$nnUNet_raw/Dataset977_GlamMasks``.
        images: extra images (``<case>_0000<ending>``) with class labels in ``labels_csv``.
        threshold: map value above which a voxel belongs to the class.

    Raises:
        InputDataError: bad folders, case id clashes, nothing to pseudo-label, a threshold outside (0, 1).
        ModelFolderError: the teacher is not a GLAM model.
        LabelFileError: malformed labels, or the teacher predicts other labels than the dataset's.
    """
    if not 0.0 < threshold < 1.0:
        raise InputDataError(f"--threshold must lie between 0 and 1, got {threshold:g}")
    network = glam_teacher_network(teacher)
    source = RawDataset.open(raw)
    out = Path(out_dir)
    if out.resolve() == source.folder.resolve():
        raise InputDataError(f"{out}: the output folder must differ from the input dataset")
    check_same_labels(teacher.dataset_json, source.dataset_json, str(teacher.folder))
    todo = pseudo_cases(source, images)
    if not todo:
        raise InputDataError(f"nothing to pseudo-label: every case of {source.folder} has a mask and no --images")
    labels = case_labels(source, todo, labels_csv)
    store = RecordStore(out)
    store.start({"mode": MODE, "raw": str(source.folder.resolve()), "teacher": str(Path(teacher.folder).resolve()),
                 "images": str(Path(images).resolve()) if images else None,
                 "labels": str(Path(labels_csv).resolve()) if labels_csv else None,
                 "threshold": float(threshold)}, overwrite)
    records = [copy_labeled_case(source, out, store, case, MODE) for case in source.train_images if case not in todo]
    for case, files in tqdm(todo.items(), desc="pseudolabel glam", unit="case", disable=not progress or None):
        done = store.get(case)
        if done is not None and (not done.included or _complete(out, case, len(files), source.file_ending)):
            records.append(done)
            continue
        try:
            records.append(store.put(_write_case(teacher, network, source, out, case, files, labels[case],
                                                 threshold)))
        except Exception as exc:  # noqa: BLE001 - one bad case must not stop the others
            logger.error("case '%s' failed: %s", case, exc)
            remove_case_files(out, case, source.file_ending, ("imagesTr", "labelsTr"))
            records.append(CaseRecord(case, MODE, "failed", 0, f"{type(exc).__name__}: {exc}"))
    block = dict(source.dataset_json.get("segcls3d") or {})
    block["pseudo_labels"] = {"mode": MODE, "teacher": str(teacher.folder), "threshold": float(threshold),
                              "cases": sum(r.included and r.action != "labeled" for r in records)}
    included = {r.case_id: labels[r.case_id] for r in records if r.included}
    finish_dataset(source, out, store, records, included, segcls3d_block=block)
    return records


def _complete(out: Path, case: str, n_channels: int, ending: str) -> bool:
    return (out / "labelsTr" / f"{case}{ending}").is_file() and all(
        (out / "imagesTr" / f"{case}_{c:04d}{ending}").is_file() for c in range(n_channels))


def _write_case(teacher: LoadedModel, network: GLAMNetwork, source: RawDataset, out: Path, case: str,
                files: list[Path], label, threshold: float) -> CaseRecord:
    _, probabilities, properties, rw = teacher_outputs(teacher, files, temperature=1.0)
    maps = saliency_from_probabilities(probabilities, network.outputs)
    mask = maps_to_segmentation(maps, network.outputs, teacher.predictor.label_manager, threshold)
    decision = boost_pseudo_mask(mask, label, source.classes, source.ignore_label())
    if decision.action == "excluded":
        remove_case_files(out, case, source.file_ending, ("imagesTr", "labelsTr"))
        return CaseRecord(case, MODE, decision.action, decision.voxels, decision.reason)
    write_mask(rw, decision.mask, out / "labelsTr" / f"{case}{source.file_ending}", properties)
    for c, f in enumerate(files):
        link_or_copy(f, out / "imagesTr" / f"{case}_{c:04d}{source.file_ending}")
    reason = f"GLAM map > {threshold:g}; {decision.reason}"
    return CaseRecord(case, MODE, decision.action, decision.voxels, reason)
