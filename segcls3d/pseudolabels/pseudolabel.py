"""Teacher model + unlabeled / class-only cases -> a new nnU-Net raw dataset with pseudo masks.

The new dataset holds the labeled cases of ``raw`` (own masks) plus pseudo-labelled cases: the
training cases of ``raw`` without a mask and the cases of ``images`` (class labels from
``labels_csv``). The teacher runs at its own plans (any segcls3d trainer or plain nnUNetTrainer
model); plan and preprocess the new dataset with ``nnUNetv2_plan_and_preprocess`` before training.

Modes (Hooper et al. 2023, Sec. 4.2.2; Gadgil et al., Sec. 4.2):

* ``plain`` (Setting 1): the teacher's mask is the target;
* ``boosted`` (Setting 2): see :mod:`segcls3d.pseudolabels.boosted` (negatives -> empty masks, positives
  with an empty pseudo mask excluded, unknown -> teacher mask);
* ``soft``: the teacher's mask plus its probabilities at temperature tau as soft targets
  (:mod:`segcls3d.labels.soft_targets`) for ``nnUNetTrainerSoftTargets``; class labels are only
  copied to the CSV.

Also written: classification_labels.csv, pseudolabel_log.csv (case, mode, action, voxels, reason),
the test split of ``raw`` (linked), and ``segcls3d.pseudo_labels`` in dataset.json.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional, Union

import numpy as np
from tqdm import tqdm

from segcls3d.errors import InputDataError, ModelFolderError
from segcls3d.labels import CaseLabels
from segcls3d.labels.soft_targets import DEFAULT_TEMPERATURE, raw_soft_target_path, save_soft_target, soft_target_block
from segcls3d.predict.inputs import collect_cases
from segcls3d.pseudolabels.boosted import boost_pseudo_mask
from segcls3d.pseudolabels.dataset_files import foreground_voxels, link_or_copy, remove_case_files, write_mask
from segcls3d.pseudolabels.finish import finish_dataset
from segcls3d.pseudolabels.raw_dataset import RawDataset, check_same_labels
from segcls3d.pseudolabels.records import CaseRecord, RecordStore
from segcls3d.pseudolabels.teacher import teacher_outputs

logger = logging.getLogger(__name__)
PathLike = Union[str, Path]
MODES = ("plain", "boosted", "soft")


def pseudo_cases(source: RawDataset, images: Optional[PathLike]) -> dict[str, list[Path]]:
    """Cases to pseudo-label: training cases of ``source`` without a mask, plus the cases in ``images``.

    Raises:
        InputDataError: a case of ``images`` has missing channels or the id of a case of ``source``.
    """
    cases = {c: files for c, files in source.train_images.items() if source.mask_path(c) is None}
    if images is None:
        return cases
    n_channels = len(next(iter(source.train_images.values())))
    extra, problems = collect_cases(images, source.file_ending, n_channels)
    if problems:
        raise InputDataError(f"{images}: " + "; ".join(f"{c}: {p}" for c, p in sorted(problems.items())[:5]))
    clash = sorted(set(extra) & (set(source.train_images) | set(source.test_images)))
    if clash:
        raise InputDataError(f"{images}: case id(s) {clash[:5]} already exist in {source.folder}; rename them")
    return {**cases, **extra}


def case_labels(source: RawDataset, todo, labels_csv: Optional[PathLike]) -> dict[str, np.ndarray]:
    """Class labels of every training case of the new dataset (NaN = unknown).

    Cases of ``source``: their CSV row, else derived from their mask, else unknown. Cases of
    ``images``: their row in ``labels_csv``, else unknown.
    """
    labels = {c: source.case_label(c) for c in source.train_images}
    known = set(todo) | set(source.train_images) | set(source.test_images)
    extra = CaseLabels.load(labels_csv, source.class_names, known_cases=known) if labels_csv \
        else CaseLabels({}, source.class_names)
    for case in todo:
        labels[case] = source.labels[case] if case in source.labels else extra.get(case)
    return labels


def write_pseudolabel_dataset(mode: str, teacher, raw: PathLike, out_dir: PathLike, images: Optional[PathLike] = None,
                              labels_csv: Optional[PathLike] = None, temperature: float = DEFAULT_TEMPERATURE,
                              overwrite: bool = False, progress: bool = True) -> list[CaseRecord]:
    """Write the pseudo-labelled dataset (resumable: finished cases are not predicted again).

    Args:
        mode: ``plain`` | ``boosted`` | ``soft``.
        teacher: a :class:`segcls3d.model.loading.LoadedModel` (see ``load_model``).
        raw: the labeled raw dataset (cases without a mask in labelsTr are pseudo-labelled too).
        out_dir: the new raw dataset folder, e.g. ``$nnUNet_raw/Dataset702_SynthBoosted``.
        images: extra unlabeled / class-only images (``<case>_0000<ending>``).
        labels_csv: class labels of the ``images`` cases (``case_id`` + one column per class).
        temperature: tau of the soft targets (``soft``).

    Raises:
        InputDataError: bad folders, case id clashes, nothing to pseudo-label.
        ModelFolderError: the teacher is an image-level classifier.
        LabelFileError: malformed labels, or the teacher predicts other labels than the dataset's.
    """
    if mode not in MODES:
        raise InputDataError(f"unknown pseudo-label mode '{mode}' (choose from {', '.join(MODES)})")
    source = RawDataset.open(raw)
    out_dir = Path(out_dir)
    if out_dir.resolve() == source.folder.resolve():
        raise InputDataError(f"{out_dir}: the output folder must differ from the input dataset")
    if teacher.kind == "classifier":
        raise ModelFolderError(f"{teacher.folder}: an image-level classifier cannot make pseudo masks")
    check_same_labels(teacher.dataset_json, source.dataset_json, str(teacher.folder))
    todo = pseudo_cases(source, images)
    if not todo:
        raise InputDataError(f"nothing to pseudo-label: every case of {source.folder} has a mask and no --images")
    labels = case_labels(source, todo, labels_csv)
    if mode == "boosted" and all(np.isnan(labels[c]).all() for c in todo):
        logger.warning("boosted mode without any class label for the pseudo-labelled cases: same as plain")
    store = RecordStore(out_dir)
    store.start({"mode": mode, "raw": str(source.folder.resolve()), "teacher": str(Path(teacher.folder).resolve()),
                 "images": str(Path(images).resolve()) if images else None,
                 "labels": str(Path(labels_csv).resolve()) if labels_csv else None,
                 "temperature": float(temperature) if mode == "soft" else None}, overwrite)
    records = [copy_labeled_case(source, out_dir, store, case, mode)
               for case in source.train_images if case not in todo]
    writer = _PseudoCaseWriter(mode, teacher, source, out_dir, temperature)
    for case, files in tqdm(todo.items(), desc=f"pseudolabel {mode}", unit="case", disable=not progress or None):
        done = store.get(case)
        if done is not None and writer.complete(case, files, done):
            records.append(done)
            continue
        try:
            records.append(store.put(writer.write(case, files, labels[case])))
        except Exception as exc:  # noqa: BLE001 - one bad case must not stop the others
            logger.error("case '%s' failed: %s", case, exc)
            remove_case_files(out_dir, case, source.file_ending, ("imagesTr", "labelsTr"))
            records.append(CaseRecord(case, mode, "failed", 0, f"{type(exc).__name__}: {exc}"))
    block = dict(source.dataset_json.get("segcls3d") or {})
    block["pseudo_labels"] = {"mode": mode, "teacher": str(teacher.folder),
                              "cases": sum(r.included and r.action != "labeled" for r in records)}
    if mode == "soft":
        block["soft_targets"] = soft_target_block(temperature, source.has_regions)
    included = {r.case_id: labels[r.case_id] for r in records if r.included}
    finish_dataset(source, out_dir, store, records, included, segcls3d_block=block)
    return records


def copy_labeled_case(source: RawDataset, out_dir: Path, store: RecordStore, case: str, mode: str,
                      action: str = "labeled", reason: str = "own mask") -> CaseRecord:
    """Link (or copy) a case that has its own mask into ``out_dir`` unchanged, and record it (resumable)."""
    done = store.get(case)
    target = out_dir / "labelsTr" / f"{case}{source.file_ending}"
    if done is not None and target.is_file():
        return done
    mask = source.mask_path(case)
    voxels = foreground_voxels(source.reader_writer().read_seg(str(mask))[0], source.ignore_label())
    link_or_copy(mask, target)
    for f in source.train_images[case]:
        link_or_copy(f, out_dir / "imagesTr" / f.name)
    return store.put(CaseRecord(case, mode, action, voxels, reason))


class _PseudoCaseWriter:
    """Predicts one case with the teacher and writes what the mode asks for."""

    def __init__(self, mode: str, teacher, source: RawDataset, out_dir: Path, temperature: float):
        self.mode, self.teacher, self.source, self.out_dir = mode, teacher, source, out_dir
        self.temperature = temperature
        self.ending = source.file_ending

    def _image_path(self, case: str, channel: int) -> Path:
        return self.out_dir / "imagesTr" / f"{case}_{channel:04d}{self.ending}"

    def complete(self, case: str, files: list[Path], record: CaseRecord) -> bool:
        if not record.included:
            return True
        ok = all(self._image_path(case, c).is_file() for c in range(len(files)))
        ok = ok and (self.out_dir / "labelsTr" / f"{case}{self.ending}").is_file()
        return ok and (self.mode != "soft" or raw_soft_target_path(self.out_dir, case).is_file())

    def write(self, case: str, files: list[Path], label: np.ndarray) -> CaseRecord:
        mask, soft, properties, rw = teacher_outputs(self.teacher, files,
                                                     self.temperature if self.mode == "soft" else None)
        ignore = self.source.ignore_label()
        if self.mode == "boosted":
            decision = boost_pseudo_mask(mask, label, self.source.classes, ignore)
            action, mask, voxels, reason = decision.action, decision.mask, decision.voxels, decision.reason
        else:
            action = "soft_target" if self.mode == "soft" else "pseudo_mask"
            voxels = foreground_voxels(mask, ignore)
            reason = "teacher mask" + (f" + soft target (tau={self.temperature:g})" if self.mode == "soft" else "")
        if action == "excluded":
            remove_case_files(self.out_dir, case, self.ending, ("imagesTr", "labelsTr"))
            raw_soft_target_path(self.out_dir, case).unlink(missing_ok=True)
            return CaseRecord(case, self.mode, action, voxels, reason)
        if self.mode == "soft":
            save_soft_target(raw_soft_target_path(self.out_dir, case), soft)
        write_mask(rw, mask, self.out_dir / "labelsTr" / f"{case}{self.ending}", properties)
        for c, f in enumerate(files):
            link_or_copy(f, self._image_path(case, c))
        return CaseRecord(case, self.mode, action, voxels, reason)
