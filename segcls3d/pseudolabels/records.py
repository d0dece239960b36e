"""Per-case records of a dataset-writing run: resume support and ``pseudolabel_log.csv``.

Each finished case gets ``<out>/pseudolabel_records/<case>.json`` (written last, atomically). A
re-run with the same parameters (``pseudolabel_config.json``) skips recorded cases; different
parameters into the same folder are refused unless ``overwrite``.
"""
from __future__ import annotations

import csv
import io
import logging
import shutil
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from segcls3d.errors import InputDataError
from segcls3d.io import write_text_atomic
from segcls3d.io.records import RecordFolder

logger = logging.getLogger(__name__)
RECORDS_DIRNAME = "pseudolabel_records"
CONFIG_FILENAME = "pseudolabel_config.json"
LOG_FILENAME = "pseudolabel_log.csv"
LOG_COLUMNS = ("case_id", "mode", "action", "voxels", "reason")


@dataclass(frozen=True)
class CaseRecord:
    """What was done with one case.

    Attributes:
        case_id: the case.
        mode: ``partial`` | ``plain`` | ``boosted`` | ``soft``.
        action: ``labeled`` (own mask kept), ``background`` (negative, all-background mask), ``ignore``
            (all-ignore mask), ``pseudo_mask`` (teacher mask), ``zeroed`` (negative: teacher mask
            emptied), ``soft_target`` (teacher mask + soft target), ``excluded`` or ``failed``.
        voxels: foreground voxels of the mask written (for ``excluded``: of the rejected mask).
        reason: a sentence for the log.
    """

    case_id: str
    mode: str
    action: str
    voxels: int = 0
    reason: str = ""

    @property
    def included(self) -> bool:
        return self.action not in ("excluded", "failed")


class RecordStore:
    """Records of one output folder: ``pseudolabel_records/<case>.json`` and ``pseudolabel_config.json``."""

    def __init__(self, out_dir: Path):
        self.out_dir = Path(out_dir)
        self.folder = self.out_dir / RECORDS_DIRNAME
        self.records = RecordFolder(self.folder, settings_file=self.out_dir / CONFIG_FILENAME)

    def start(self, config: Mapping[str, Any], overwrite: bool = False,
              generated: Iterable[str] = ("imagesTr", "labelsTr", "imagesTs", "labelsTs")) -> None:
        """Check ``config`` against a previous run in the folder, then store it.

        Raises:
            InputDataError: the folder holds a run with other parameters (and not ``overwrite``), or
                is a non-empty folder not written by this tool.
        """
        written_before = self.out_dir.is_dir() and any(self.out_dir.iterdir())
        if written_before and overwrite:
            for name in (*generated, RECORDS_DIRNAME, "softTargetsTr"):
                if (self.out_dir / name).is_dir():
                    shutil.rmtree(self.out_dir / name)
        elif written_before and self.records.read_settings() is None:
            raise InputDataError(f"{self.out_dir}: folder is not empty and was not written by segcls3d "
                                 "pseudolabel; choose an empty output folder or pass --overwrite")
        self.folder.mkdir(parents=True, exist_ok=True)
        if overwrite:
            self.records.write_settings(config)
            return
        self.records.check_settings(config, what=str(self.out_dir),
                                    advice="rerun with the same parameters to resume, or pass --overwrite")
        if written_before:
            logger.info("%s: same parameters as before, resuming", self.out_dir)

    def get(self, case_id: str) -> Optional[CaseRecord]:
        """The record of a finished case, or None (none, or unreadable: the case is done again)."""
        data = self.records.read(case_id)
        if data is None:
            return None
        try:
            return CaseRecord(**{f.name: data[f.name] for f in fields(CaseRecord) if f.name in data})
        except TypeError as exc:
            logger.warning("ignoring malformed record %s (%s); the case is done again", self.records.path(case_id), exc)
            return None

    def put(self, record: CaseRecord) -> CaseRecord:
        """Store the record of a finished case (failed cases are not stored: the next run retries them)."""
        if record.action != "failed":
            self.records.write(record.case_id, asdict(record))
        return record

    def write_log(self, records: Iterable[CaseRecord]) -> Path:
        """``pseudolabel_log.csv``: one row per case, sorted by case id."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(LOG_COLUMNS)
        for r in sorted(records, key=lambda r: r.case_id):
            writer.writerow([r.case_id, r.mode, r.action, r.voxels, r.reason])
        return write_text_atomic(self.out_dir / LOG_FILENAME, buffer.getvalue())
