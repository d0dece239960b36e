"""Per-case records of ``segcls3d predict``: a table that survives a kill, resume, and foreign folders.

Each finished case gets ``<out>/.predict_records/<case>.json`` holding its classification.csv row,
the files it wrote and its ``settings``: the job's settings (model folder, folds, checkpoint sizes
and mtimes, summarizer, probabilities, mirroring, step size, previous stage) plus the size and mtime
of its input files. classification.csv is rebuilt from the records after every case, so a killed run
leaves a table of exactly the finished cases, and a rerun skips the cases whose record matches and
whose files exist. A folder holding results of other settings, or a table/masks not written by
segcls3d predict, is refused unless ``overwrite`` (then those results are deleted).
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

from segcls3d.errors import InputDataError
from segcls3d.io.atomic import TEMP_PREFIX
from segcls3d.io.records import DONE, RecordFolder, as_json, changed_keys
from segcls3d.model.loading import LoadedModel
from segcls3d.summarize import write_classification_csv
from segcls3d.summarize.table import CLASSIFICATION_CSV

logger = logging.getLogger(__name__)
RECORDS_DIRNAME = ".predict_records"
INPUTS_KEY = "inputs"
_LONG = 200  # settings values longer than this (JSON) are stored as a digest


def file_stamp(path: Path) -> dict[str, Any]:
    """Name, size and mtime of a file: what tells a rerun that an input or a checkpoint changed."""
    stat = Path(path).stat()
    return {"file": Path(path).name, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _compact(value: Any) -> Any:
    """``value`` as JSON, or its sha256 when long (trained summarizers' weights)."""
    text = json.dumps(value, sort_keys=True, default=str)
    return as_json(value) if len(text) <= _LONG else "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def job_settings(model: LoadedModel, summarizer, save_probabilities: bool,
                 previous_stage_dir: Optional[Path]) -> dict[str, Any]:
    """The settings shared by every case of a predict run (what makes two runs' rows comparable)."""
    predictor = model.predictor
    return as_json({
        "model": str(Path(model.folder).resolve()), "kind": model.kind,
        "checkpoints": [{"fold": c.parent.name, **file_stamp(c)} for c in model.checkpoints],
        "summarizer": {k: _compact(v) for k, v in summarizer.to_dict().items()},
        "save_probabilities": bool(save_probabilities),
        "use_mirroring": bool(getattr(predictor, "use_mirroring", True)),
        "tile_step_size": float(getattr(predictor, "tile_step_size", 0.5)),
        "previous_stage": str(Path(previous_stage_dir).resolve()) if previous_stage_dir is not None else None,
    })


class PredictRecords:
    """The records of one output folder and the classification.csv rebuilt from them.

    Attributes:
        out: the output folder.
        job: :func:`job_settings` of this run.
        ending: the model's image file ending (masks are ``<case><ending>``).
        rows: classification.csv rows by case (finished cases with this run's settings).
    """

    def __init__(self, out: Path, job: Mapping[str, Any], ending: str):
        self.out = Path(out)
        self.job = dict(job)
        self.ending = ending
        self.records = RecordFolder(self.out / RECORDS_DIRNAME)
        self.rows: dict[str, dict] = {}

    def start(self, case_ids: Sequence[str], inputs: Sequence[Path] = (), overwrite: bool = False) -> None:
        """Check the folder, drop what another run left (``overwrite``) and load the rows to keep.

        Raises:
            InputDataError: the folder holds results of other settings, or a table/masks without
                records, and not ``overwrite``.
        """
        protected = {Path(p).resolve() for p in inputs}
        self._remove_leftovers()
        records = self.records.read_all()
        foreign = {k: r for k, r in records.items() if self._job_of(r) != self.job}
        ours = self.records.folder.is_dir()
        outputs = {p for p in self._output_files() if p.resolve() not in protected}
        explained = {self.out / name for k, r in records.items() if k not in foreign for name in r.get("outputs", [])}
        # in our folder, a current case's file without a record is what a kill left: it is predicted again
        unrecorded = sorted(p for p in outputs - explained if not (ours and self._case_of(p) in set(case_ids)))
        table_without_records = (self.out / CLASSIFICATION_CSV).is_file() and not ours
        stored = self.records.read_settings()
        other_job = stored if stored is not None and stored != self.job else None
        if not overwrite and (foreign or unrecorded or table_without_records or other_job):
            raise InputDataError(self._refusal(foreign, unrecorded, table_without_records, other_job))
        for key, record in foreign.items():
            self._delete_case(key, record)
        for path in unrecorded:
            path.unlink()
        if table_without_records:
            (self.out / CLASSIFICATION_CSV).unlink()
        if foreign or unrecorded or table_without_records or other_job:
            logger.warning("%s: --overwrite: deleted %d record(s) of other settings, %d mask/probability file(s) "
                           "without a record%s", self.out, len(foreign), len(unrecorded),
                           ", the old classification.csv" if table_without_records else "")
        self.records.write_settings(self.job)
        current = set(case_ids)
        for key, record in records.items():
            if (key in foreign or record.get("status") != DONE or not isinstance(record.get("row"), dict)
                    or not self._outputs_exist(record)):
                continue
            self.rows[key] = record["row"]
        kept = sorted(set(self.rows) - current)
        if kept:
            logger.info("%s: kept %d case(s) of earlier runs with the same settings that are not among the "
                        "current inputs", self.out, len(kept))

    def is_done(self, case_id: str, inputs: Sequence[Mapping[str, Any]]) -> bool:
        """The case has a record with this run's settings and these inputs, and its files exist."""
        record = self.records.read(case_id)
        return (case_id in self.rows and record is not None
                and self.records.is_done(case_id, settings={**self.job, INPUTS_KEY: list(inputs)})
                and self._outputs_exist(record))

    def forget(self, case_id: str) -> None:
        """Before predicting a case again: its old record and row go (the table never shows a stale row)."""
        if self.rows.pop(case_id, None) is not None:
            self.write_table()
        self.records.path(case_id).unlink(missing_ok=True)

    def finish(self, case_id: str, inputs: Sequence[Mapping[str, Any]], row: Mapping[str, Any],
               outputs: Sequence[str]) -> None:
        """Record a finished case, then rewrite classification.csv from all rows."""
        record = {"status": DONE, "settings": {**self.job, INPUTS_KEY: list(inputs)}, "row": dict(row),
                  "outputs": list(outputs)}
        self.records.write(case_id, as_json(record))
        self.rows[case_id] = as_json(dict(row))
        self.write_table()

    def write_table(self) -> Optional[Path]:
        """classification.csv of every finished case, sorted by case id (atomic); None when there is none."""
        if not self.rows:
            (self.out / CLASSIFICATION_CSV).unlink(missing_ok=True)
            return None
        return write_classification_csv(self.out / CLASSIFICATION_CSV, [self.rows[k] for k in sorted(self.rows)])

    def _remove_leftovers(self) -> None:
        """Temporary files of writes a kill interrupted (a half-written mask, record or table)."""
        for folder in (self.out, self.records.folder):
            for path in folder.glob(f"{TEMP_PREFIX}*") if folder.is_dir() else []:
                path.unlink(missing_ok=True)

    def _job_of(self, record: Mapping[str, Any]) -> dict:
        settings = record.get("settings")
        return {k: v for k, v in settings.items() if k != INPUTS_KEY} if isinstance(settings, dict) else {}

    def _output_files(self) -> list[Path]:
        if not self.out.is_dir():
            return []
        return sorted(p for p in self.out.iterdir() if p.is_file() and not p.name.startswith(".")
                      and (p.name.endswith(self.ending) or p.suffix == ".npz"))

    def _case_of(self, path: Path) -> str:
        return path.name[: -len(self.ending)] if path.name.endswith(self.ending) else path.stem

    def _outputs_exist(self, record: Mapping[str, Any]) -> bool:
        return all((self.out / name).is_file() for name in record.get("outputs", []))

    def _delete_case(self, case_id: str, record: Mapping[str, Any]) -> None:
        for name in record.get("outputs", []):
            (self.out / name).unlink(missing_ok=True)
        self.records.path(case_id).unlink(missing_ok=True)

    def _refusal(self, foreign: Mapping[str, dict], unrecorded: Sequence[Path], table_without_records: bool,
                 stored: Optional[Mapping[str, Any]]) -> str:
        problems = []
        other = stored if stored is not None else (self._job_of(next(iter(foreign.values()))) if foreign else None)
        if other is not None:
            details = "; ".join(_differences(other, self.job))
            problems.append(f"results of other settings ({len(foreign)} case record(s); {details})")
        if unrecorded:
            problems.append(f"{len(unrecorded)} mask/probability file(s) not written by segcls3d predict "
                            f"(e.g. {unrecorded[0].name})")
        if table_without_records:
            problems.append(f"a {CLASSIFICATION_CSV} not written by segcls3d predict (no {RECORDS_DIRNAME}/)")
        return (f"output folder {self.out} holds " + " and ".join(problems)
                + "; pass --overwrite to replace them, or choose another output folder")


def _differences(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[str]:
    """``"summarizer.threshold: 0.5 -> 0.3"`` for every changed leaf of two settings dicts."""
    lines = []
    for key in changed_keys(old, new):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            lines.extend(_differences(a, b, f"{prefix}{key}."))
        else:
            lines.append(f"{prefix}{key}: {_short(a)} -> {_short(b)}")
    return lines


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."
