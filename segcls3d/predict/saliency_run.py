"""Saliency maps of many cases into a folder: ``OUT/<class>/<case>.nii.gz`` plus ``saliency.csv``; resumable.

Each finished case gets ``OUT/.saliency_records/<case>.json`` (written after its maps, atomically)
with the size and mtime of its inputs, its class scores and each map's maximum. A rerun with the same
model, checkpoints, method, layer and classes skips cases whose record matches their inputs and whose
maps exist; other settings are refused unless ``overwrite`` (then the old maps go). ``saliency.csv``
(case_id, ``<class>_score`` = the class logit, ``<class>_peak`` = the map's maximum) is rebuilt from
the records after every case. A case that fails is reported and the others go on.
"""
from __future__ import annotations

import csv
import io
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, Union

from tqdm import tqdm

from segcls3d.errors import InputDataError
from segcls3d.io import write_text_atomic
from segcls3d.io.records import DONE, RecordFolder, as_json, changed_keys
from segcls3d.predict.resume import file_stamp
from segcls3d.predict.saliency_case import SaliencyPredictor
from segcls3d.predict.saliency_export import write_map

logger = logging.getLogger(__name__)
PathLike = Union[str, Path]
RECORDS_DIRNAME = ".saliency_records"
SALIENCY_CSV = "saliency.csv"
MAP_ENDING = ".nii.gz"


def map_path(out_dir: PathLike, class_name: str, case_id: str) -> Path:
    """``<out>/<class>/<case>.nii.gz``: where the map of a class for a case is written."""
    return Path(out_dir) / class_name / f"{case_id}{MAP_ENDING}"


@dataclass
class SaliencyReport:
    """What a saliency run produced: cases computed, kept from earlier runs, failed (with the reason)."""

    computed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    csv_path: Optional[Path] = None
    class_names: list[str] = field(default_factory=list)


def saliency_job(saliency: SaliencyPredictor) -> dict[str, Any]:
    """The settings every map of a run shares (a rerun with other settings is refused)."""
    model = saliency.model
    return as_json({"model": str(Path(model.folder).resolve()), "kind": model.kind,
                    "checkpoints": [{"fold": c.parent.name, **file_stamp(c)} for c in model.checkpoints],
                    "method": saliency.engine.method, "layer": saliency.layer, "classes": saliency.class_names})


def saliency_folder(saliency: SaliencyPredictor, cases: Mapping[str, Sequence[Path]], out_dir: PathLike,
                    overwrite: bool = False, progress: bool = True) -> SaliencyReport:
    """Write the maps of every case of ``cases`` (case id -> channel files) into ``out_dir``.

    Raises:
        InputDataError: ``out_dir`` holds maps of other settings (and not ``overwrite``), or is a
            non-empty folder not written by this function.
    """
    out = Path(out_dir)
    records = RecordFolder(out / RECORDS_DIRNAME)
    _start(records, out, saliency_job(saliency), overwrite)
    report = SaliencyReport(class_names=list(saliency.class_names))
    rows = {k: r for k, r in records.read_all().items() if r.get("status") == DONE}
    for case_id, files in tqdm(cases.items(), desc=f"saliency {saliency.engine.method}", unit="case",
                               disable=not progress or None):
        inputs = {"inputs": [file_stamp(f) for f in files]}
        paths = [map_path(out, name, case_id) for name in saliency.class_names]
        if records.is_done(case_id, settings=inputs) and all(p.is_file() for p in paths):
            report.skipped.append(case_id)
            continue
        records.path(case_id).unlink(missing_ok=True)
        rows.pop(case_id, None)
        try:
            result = saliency.case(files)
            for i, path in enumerate(paths):
                write_map(result.maps[i], path, result.properties)
        except Exception as exc:  # noqa: BLE001 - one bad case must not stop the others
            logger.debug("case %s failed", case_id, exc_info=True)
            report.failures[case_id] = f"{type(exc).__name__}: {exc}"
            continue
        rows[case_id] = as_json({
            "status": DONE, "settings": inputs,
            "scores": dict(zip(saliency.class_names, result.scores.tolist())),
            "peaks": {name: float(result.maps[i].max(initial=0.0)) for i, name in enumerate(saliency.class_names)}})
        records.write(case_id, rows[case_id])
        report.computed.append(case_id)
        report.csv_path = write_saliency_csv(out, saliency.class_names, rows)
    for case_id, reason in sorted(report.failures.items()):
        logger.error("case '%s': no saliency map: %s", case_id, reason)
    report.csv_path = write_saliency_csv(out, saliency.class_names, rows)
    logger.info("%s: %d case(s) computed, %d kept from an earlier run, %d failed", out, len(report.computed),
                len(report.skipped), len(report.failures))
    return report


def write_saliency_csv(out: Path, class_names: Sequence[str], done: Mapping[str, Mapping]) -> Optional[Path]:
    """``saliency.csv`` of the finished cases' records ``done`` (sorted by case); None when there is none."""
    if not done:
        return None
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["case_id", *[f"{n}_{what}" for n in class_names for what in ("score", "peak")]])
    for case_id, record in sorted(done.items()):
        writer.writerow([case_id, *[record.get(what, {}).get(n, "") for n in class_names
                                    for what in ("scores", "peaks")]])
    return write_text_atomic(out / SALIENCY_CSV, buffer.getvalue())


def _start(records: RecordFolder, out: Path, job: dict, overwrite: bool) -> None:
    stored = records.read_settings()
    if stored is None and out.is_dir() and any(out.iterdir()) and not overwrite:
        raise InputDataError(f"{out}: folder is not empty and holds no saliency run; choose an empty output folder "
                             "or pass --overwrite")
    if stored is not None and stored != job:
        details = ", ".join(f"{k}: {stored.get(k)!r} -> {job.get(k)!r}" for k in changed_keys(stored, job))
        if not overwrite:
            raise InputDataError(f"{out} holds saliency maps of other settings ({details}); pass --overwrite to "
                                 "replace them, or choose another output folder")
        logger.warning("%s: --overwrite: deleting maps of other settings (%s)", out, details)
        for name in stored.get("classes") or []:
            if (out / name).is_dir():
                shutil.rmtree(out / name)
        shutil.rmtree(records.folder, ignore_errors=True)
        (out / SALIENCY_CSV).unlink(missing_ok=True)
    records.write_settings(job)
