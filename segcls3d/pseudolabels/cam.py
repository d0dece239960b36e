"""Classifier saliency + a few expert masks -> an nnU-Net raw dataset of expert and weak masks (CheXseg).

The training cases of ``raw`` with a mask in labelsTr are the **expert** cases; those without one
(class labels in classification_labels.csv) get a **weak** mask from the classifier's saliency maps:

1. maps of every training case (expert ones too), as ``segcls3d saliency`` writes them, in
   ``<out>/saliencyTr/<class>/<case>.nii.gz`` (resumable);
2. per class, the relative threshold that maximises the mean IoU with the expert masks of the expert
   cases positive for it (:mod:`segcls3d.model.saliency.threshold_search`); Otsu on each map when
   no expert case has the class; written to ``<out>/cam_thresholds.json``;
3. weak masks (:mod:`segcls3d.pseudolabels.cam_masks`): negatives empty, positives/unknown the
   thresholded map (empty below ``cutoff``), positives with an empty map excluded.

The new dataset keeps which case is which: ``pseudolabel_log.csv`` (actions ``expert``,
``weak_mask``, ``background``, ``excluded``, ``failed``) and the ``segcls3d.cam`` block of
dataset.json (``expert_cases``, ``weak_cases``, thresholds, classifier, method, layer), which
``nnUNetTrainerCheXseg`` reads. Rerunning the same command resumes.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator, Optional, Union

import numpy as np
from nnunetv2.imageio.simpleitk_reader_writer import SimpleITKIO
from tqdm import tqdm

from segcls3d.errors import InputDataError, ModelFolderError
from segcls3d.io import write_json_atomic
from segcls3d.model.loading import LoadedModel
from segcls3d.model.saliency.threshold import normalize_map
from segcls3d.model.saliency.threshold_search import ThresholdSearch, search_threshold
from segcls3d.predict.saliency_case import SaliencyPredictor
from segcls3d.predict.saliency_run import map_path, saliency_folder
from segcls3d.pseudolabels.cam_masks import weak_mask
from segcls3d.pseudolabels.dataset_files import link_or_copy, remove_case_files, write_mask
from segcls3d.pseudolabels.finish import finish_dataset
from segcls3d.pseudolabels.pseudolabel import copy_labeled_case
from segcls3d.pseudolabels.raw_dataset import RawDataset
from segcls3d.pseudolabels.records import CaseRecord, RecordStore

logger = logging.getLogger(__name__)
PathLike = Union[str, Path]
MODE = "cam"
SALIENCY_DIRNAME = "saliencyTr"
THRESHOLDS_FILENAME = "cam_thresholds.json"


def write_cam_dataset(classifier: LoadedModel, raw: PathLike, out_dir: PathLike, method: str = "gradcam",
                      layer: Optional[str] = None, cutoff: Optional[float] = None, overwrite: bool = False,
                      progress: bool = True) -> list[CaseRecord]:
    """Write the expert + weak dataset (see the module doc); returns one record per training case.

    Args:
        classifier: the model whose saliency makes the weak masks (``load_model``); any of our kinds.
        raw: raw dataset whose labelsTr holds the expert masks; the other training cases are weak.
        out_dir: the new raw dataset folder, e.g. ``$nnUNet_raw/Dataset960_CheXseg``.
        method, layer: saliency method and target layer (see ``segcls3d saliency``).
        cutoff: maps whose maximum is below it give an empty mask (None: no cut-off).

    Raises:
        InputDataError: bad folders, no weak or no expert case, output folder of another run.
        ModelFolderError: the classifier has no map for a class of the dataset.
    """
    source = RawDataset.open(raw)
    out = Path(out_dir)
    if out.resolve() == source.folder.resolve():
        raise InputDataError(f"{out}: the output folder must differ from the input dataset")
    saliency = SaliencyPredictor(classifier, method, layer)
    mask_classes = [c for c in source.classes if c.label_ids]
    missing = [c.name for c in mask_classes if c.name not in saliency.class_names]
    if missing:
        raise ModelFolderError(f"{classifier.folder} gives no map for class(es) {missing} of {source.folder} "
                               f"(its classes: {saliency.class_names})")
    expert = sorted(c for c in source.train_images if source.mask_path(c) is not None)
    weak = sorted(c for c in source.train_images if source.mask_path(c) is None)
    if not weak:
        raise InputDataError(f"{source.folder}: every training case has a mask; weak masks are for the cases "
                             "without one (leave their labelsTr file out)")
    store = RecordStore(out)
    store.start({"mode": MODE, "raw": str(source.folder.resolve()),
                 "classifier": str(Path(classifier.folder).resolve()), "method": method, "layer": saliency.layer,
                 "cutoff": cutoff, "expert_cases": expert}, overwrite)
    maps_dir = out / SALIENCY_DIRNAME
    report = saliency_folder(saliency, source.train_images, maps_dir, overwrite=overwrite, progress=progress)
    thresholds = {c.name: search_threshold(_expert_pairs(source, maps_dir, c, expert, report.failures))
                  for c in mask_classes}
    _write_thresholds(out, thresholds, cutoff, method, saliency.layer, classifier)
    records = [copy_labeled_case(source, out, store, case, MODE, "expert", "expert mask") for case in expert]
    for case in tqdm(weak, desc="weak masks", unit="case", disable=not progress or None):
        done = store.get(case)
        if done is not None and (not done.included or (out / "labelsTr" / f"{case}{source.file_ending}").is_file()):
            records.append(done)
            continue
        try:
            if case in report.failures:
                raise RuntimeError(f"no saliency map: {report.failures[case]}")
            records.append(store.put(_write_weak(source, out, maps_dir, case, thresholds, cutoff)))
        except Exception as exc:  # noqa: BLE001 - one bad case must not stop the others
            logger.error("case '%s' failed: %s", case, exc)
            remove_case_files(out, case, source.file_ending, ("imagesTr", "labelsTr"))
            records.append(CaseRecord(case, MODE, "failed", 0, f"{type(exc).__name__}: {exc}"))
    block = dict(source.dataset_json.get("segcls3d") or {})
    block["cam"] = {"classifier": str(classifier.folder), "method": method, "layer": saliency.layer,
                    "cutoff": cutoff, "thresholds": {n: t.to_dict() for n, t in thresholds.items()},
                    "expert_cases": expert,
                    "weak_cases": sorted(r.case_id for r in records if r.included and r.action != "expert")}
    included = {r.case_id: source.case_label(r.case_id) for r in records if r.included}
    finish_dataset(source, out, store, records, included, segcls3d_block=block)
    return records


def _expert_pairs(source: RawDataset, maps_dir: Path, cls, expert: list[str],
                  failures: dict) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(relative map, expert mask of the class) of the expert cases whose mask holds the class."""
    maps_reader = SimpleITKIO()
    for case in expert:
        if case in failures:
            continue
        truth = np.isin(source.reader_writer().read_seg(str(source.mask_path(case)))[0][0], cls.label_ids)
        if truth.any():
            saliency = maps_reader.read_seg(str(map_path(maps_dir, cls.name, case)))[0][0]
            yield normalize_map(saliency), truth


def _write_thresholds(out: Path, thresholds: dict[str, ThresholdSearch], cutoff: Optional[float], method: str,
                      layer: str, classifier: LoadedModel) -> Path:
    for name, t in thresholds.items():
        logger.info("class '%s': %s", name, f"relative threshold {t.threshold:g} (mean IoU {t.mean_iou:.3f} on "
                    f"{t.n_cases} expert case(s))" if t.threshold is not None else "no expert case: Otsu per map")
    return write_json_atomic(out / THRESHOLDS_FILENAME, {
        "classes": {n: t.to_dict() for n, t in thresholds.items()}, "cutoff": cutoff, "method": method,
        "layer": layer, "classifier": str(classifier.folder)})


def _write_weak(source: RawDataset, out: Path, maps_dir: Path, case: str, thresholds: dict[str, ThresholdSearch],
                cutoff: Optional[float]) -> CaseRecord:
    rw = source.reader_writer()
    files = source.train_images[case]
    _, properties = rw.read_images([str(f) for f in files])
    maps_reader = SimpleITKIO()
    maps = {c.name: maps_reader.read_seg(str(map_path(maps_dir, c.name, case)))[0][0]
            for c in source.classes if c.label_ids}
    decision = weak_mask(maps, source.case_label(case), source.classes,
                         {n: t.threshold for n, t in thresholds.items()}, cutoff)
    if decision.action == "excluded":
        remove_case_files(out, case, source.file_ending, ("imagesTr", "labelsTr"))
        return CaseRecord(case, MODE, decision.action, decision.voxels, decision.reason)
    write_mask(rw, decision.mask, out / "labelsTr" / f"{case}{source.file_ending}", properties)
    for f in files:
        link_or_copy(f, out / "imagesTr" / f.name)
    return CaseRecord(case, MODE, decision.action, decision.voxels, decision.reason)
