"""Predict a folder: masks, optional probabilities, classification.csv and classes.json (+ overlays, index.html).

classification.csv is rebuilt after every case from per-case records (:mod:`segcls3d.predict.resume`):
a killed run leaves the table of its finished cases, and a rerun predicts only the missing ones.
Overlays (:mod:`segcls3d.predict.overlays`) are not part of the records: a case predicted again loses
its old overlay first, and a run with ``overlays`` draws the missing overlays of skipped cases from
their files. index.html is rewritten by every run that finds one (so it never lists stale rows).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Optional, Sequence, Union

from tqdm import tqdm

import segcls3d.summarize.trained  # noqa: F401  (registers the trained summarizer kinds for load_summarizer)
from segcls3d.errors import ModelFolderError
from segcls3d.io import write_json_atomic
from segcls3d.model.loading import LoadedModel
from segcls3d.model.multimix import has_saliency_bridge
from segcls3d.predict.case import case_outputs, predict_case_arrays
from segcls3d.predict.case_arrays import CaseArrays, read_case_arrays
from segcls3d.predict.index_page import INDEX_FILENAME, write_index_page
from segcls3d.predict.input_checks import check_cases, read_model_spec
from segcls3d.predict.inputs import collect_cases
from segcls3d.predict.overlays import OVERLAY_DIRNAME, overlay_path, remove_overlay, try_overlay
from segcls3d.predict.resume import PredictRecords, file_stamp, job_settings
from segcls3d.predict.saliency_case import SaliencyPredictor

logger = logging.getLogger(__name__)
PathLike = Union[str, Path]


@dataclass
class PredictionReport:
    """What a predict run produced.

    Attributes:
        rows: the rows of classification.csv (this run's cases and kept ones of earlier runs).
        failures: cases that could not be predicted, with the reason.
        csv_path: classification.csv, or None when it has no row.
        predicted: cases predicted by this run.
        skipped: cases whose earlier result (same model, settings and inputs) was kept.
        overlay_failures: predicted cases whose overlay could not be drawn, with the reason.
        index_path: index.html, when overlays were asked for.
    """

    rows: list[dict] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    csv_path: Optional[Path] = None
    predicted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    overlay_failures: dict[str, str] = field(default_factory=dict)
    index_path: Optional[Path] = None


def predict_folder(
    model: LoadedModel,
    input_dir: PathLike,
    output_dir: PathLike,
    summarizer,
    save_probabilities: bool = False,
    previous_stage_dir: Optional[PathLike] = None,
    cases: Optional[Sequence[str]] = None,
    overwrite: bool = False,
    check_inputs: bool = True,
    overlays: bool = False,
    bridge_saliency: bool = False,
) -> PredictionReport:
    """Predict every case of ``input_dir``; a failing case is reported and the others go on.

    Cases already predicted into ``output_dir`` with the same model, settings and inputs are skipped.
    ``check_inputs``: read every NIfTI input to its end first (truncated, 4D, or 2D-for-3D inputs
    become failures of their case); the CLI does it before loading the model and passes False.
    ``overlays``: also draw ``overlays/<case>.png`` per case (a failing one is reported in
    ``overlay_failures``, the others go on) and write ``index.html``.
    ``bridge_saliency``: also write each case's saliency bridge map of a MultiMix model, the input gradient
    of each class score (``saliency/<case>.npz``, see :func:`~segcls3d.predict.case.predict_case_arrays`;
    drawn in the overlays), computed by the saliency seam (``SaliencyPredictor``, ``input_gradient``).

    Raises:
        ModelFolderError: ``bridge_saliency`` for a model without a saliency bridge.
        InputDataError: ``output_dir`` holds results of other settings, or masks/a table that
            segcls3d predict did not write, and not ``overwrite`` (which deletes them).
    """
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    ending = model.dataset_json["file_ending"]
    num_channels = len(model.dataset_json.get("channel_names", model.dataset_json.get("modality", {})))
    if check_inputs:
        found, report_failures = check_cases(input_dir, read_model_spec(model.folder))
    else:
        found, report_failures = collect_cases(input_dir, ending, num_channels)
    if cases is not None:
        found = {k: v for k, v in found.items() if k in set(cases)}
    report = PredictionReport(failures=dict(report_failures))
    if hasattr(summarizer, "check_model"):  # trained summarizers refuse a model with another label set
        summarizer.check_model(model)
    if bridge_saliency and not has_saliency_bridge(model.predictor.network):
        raise ModelFolderError(f"{model.folder}: --bridge-saliency needs a MultiMix model (nnUNetTrainerMultiMix)")
    saliency = SaliencyPredictor(model, "input_gradient") if bridge_saliency else None
    job = job_settings(model, summarizer, save_probabilities, previous_stage_dir)
    if bridge_saliency:  # only then, so that earlier runs' records stay valid
        job["bridge_saliency"] = True
    store = PredictRecords(out, job, ending)
    store.start(list(found), inputs=[f for files in found.values() for f in files], overwrite=overwrite)
    write_json_atomic(out / "classes.json", {
        "classes": {c.name: list(c.label_ids) for c in model.classes},
        "labels": model.dataset_json.get("labels", {}),
        "model": str(model.folder), "kind": model.kind, "summarizer": summarizer.to_dict(),
    })
    for case_id, files in tqdm(found.items(), desc="predicting", unit="case"):
        previous = None
        if previous_stage_dir is not None:
            previous = Path(previous_stage_dir) / f"{case_id}{ending}"
            if not previous.is_file():
                report.failures[case_id] = f"no previous-stage prediction {previous}"
                continue
        inputs = [file_stamp(f) for f in [*files, *([previous] if previous is not None else [])]]
        if store.is_done(case_id, inputs):
            report.skipped.append(case_id)
            if overlays and not overlay_path(out, case_id).is_file():
                _overlay(report, out, case_id, partial(read_case_arrays, model, files, out, case_id),
                         store.rows[case_id], model)
            continue
        store.forget(case_id)
        remove_overlay(out, case_id)
        try:
            row, arrays = predict_case_arrays(model, files, summarizer, out, case_id, save_probabilities, previous,
                                              saliency)
        except Exception as exc:  # noqa: BLE001 - one bad case must not stop the others
            logger.debug("case %s failed", case_id, exc_info=True)
            report.failures[case_id] = f"{type(exc).__name__}: {exc}"
            continue
        store.finish(case_id, inputs, row, case_outputs(model, case_id, save_probabilities, bridge_saliency))
        report.predicted.append(case_id)
        if overlays:
            _overlay(report, out, case_id, arrays, row, model)
        arrays = None  # the volumes go before the next case is read
    for case_id, reason in sorted(report.failures.items()):
        logger.error("case '%s' was not predicted: %s", case_id, reason)
    logger.info("%s: predicted %d case(s), skipped %d already predicted with the same model, settings and inputs",
                out, len(report.predicted), len(report.skipped))
    for case_id, reason in sorted(report.overlay_failures.items()):
        logger.error("case '%s': no overlay: %s", case_id, reason)
    report.rows = [store.rows[k] for k in sorted(store.rows)]
    report.csv_path = store.write_table()
    if overlays or (out / INDEX_FILENAME).is_file():  # an older page must not show stale rows
        report.index_path = write_index_page(out / INDEX_FILENAME, report.rows, model.class_names,
                                             overlay_failures=report.overlay_failures)
        logger.info("wrote %s (%d overlay(s) in %s)", report.index_path,
                    sum(overlay_path(out, r["case_id"]).is_file() for r in report.rows), out / OVERLAY_DIRNAME)
    return report


def _overlay(report: PredictionReport, out: Path, case_id: str,
             arrays: Union[CaseArrays, Callable[[], CaseArrays]], row: dict, model: LoadedModel) -> None:
    """Draw one case's overlay; a failure is recorded in the report."""
    failure = try_overlay(overlay_path(out, case_id), case_id, arrays, row, model.classes)
    if failure is not None:
        report.overlay_failures[case_id] = failure
