"""Per-case records of a dataset-writing run: resume support and ``pseudolabel_log.csv``.

Each finished case gets ``<out>/pseudolabel_records/<case>.json`` (written last, atomically). A
re-run with the same parameters (``pseudolabel_config.json``) skips recorded cases; different
parameters into the same folder are refused unless ``overwrite``.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from segcls3d.errors import InputDataError
from segcls3d.io import write_json_atomic, write_text_atomic

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
    """Records of one output folder."""

    def __init__(self, out_dir: Path):
        self.out_dir = Path(out_dir)
        self.folder = self.out_dir / RECORDS_DIRNAME

    def start(self, config: Mapping[str, Any], overwrite: bool = False,
              generated: Iterable[str] = ("imagesTr", "labelsTr", "imagesTs", "labelsTs")) -> None:
        """Check ``config`` against a previous run in the folder, then store it.

        Raises:
            InputDataError: the folder holds a run with other parameters (and not ``overwrite``), or
                is a non-empty folder not written by this tool.
        """
        previous_path = self.out_dir / CONFIG_FILENAME
        config = json.loads(json.dumps(dict(config), default=str))
        if self.out_dir.is_dir() and any(self.out_dir.iterdir()):
            previous = json.loads(previous_path.read_text()) if previous_path.is_file() else None
            if overwrite:
                for name in (*generated, RECORDS_DIRNAME, "softTargetsTr"):
                    if (self.out_dir / name).is_dir():
                        shutil.rmtree(self.out_dir / name)
            elif previous is None:
                raise InputDataError(f"{self.out_dir}: folder is not empty and was not written by segcls3d "
                                     "pseudolabel; choose an empty output folder or pass --overwrite")
            elif previous != config:
                changed = sorted(k for k in set(previous) | set(config) if previous.get(k) != config.get(k))
                raise InputDataError(f"{self.out_dir}: written before with other parameters ({', '.join(changed)}); "
                                     "rerun with the same parameters to resume, or pass --overwrite")
            else:
                logger.info("%s: same parameters as before, resuming", self.out_dir)
        self.folder.mkdir(parents=True, exist_ok=True)
        write_json_atomic(previous_path, config)

    def get(self, case_id: str) -> Optional[CaseRecord]:
        path = self.folder / f"{case_id}.json"
        if not path.is_file():
            return None
        return CaseRecord(**json.loads(path.read_text()))

    def put(self, record: CaseRecord) -> CaseRecord:
        if record.action != "failed":  # failed cases are retried by the next run
            write_json_atomic(self.folder / f"{record.case_id}.json", asdict(record))
        return record

    def write_log(self, records: Iterable[CaseRecord]) -> Path:
        """``pseudolabel_log.csv``: one row per case, sorted by case id."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(LOG_COLUMNS)
        for r in sorted(records, key=lambda r: r.case_id):
            writer.writerow([r.case_id, r.mode, r.action, r.voxels, r.reason])
        return write_text_atomic(self.out_dir / LOG_FILENAME, buffer.getvalue())
