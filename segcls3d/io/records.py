"""Per-key JSON records in one folder: the resume mechanism of every long job.

Conversion (one record per case), pseudo-labelling (one per case) and the experiment suite (one
per run) write a record as soon as a unit of work finishes, atomically. A re-run reads the
records and skips the units whose record is done *with the settings planned now*; a unit whose
record is missing, unreadable, failed or made with other settings is done again. A folder may
also hold the settings of the whole job (``check_settings``), so that resuming with other
options is refused instead of silently mixing two kinds of output.

Example:
    >>> import tempfile
    >>> store = RecordFolder(Path(tempfile.mkdtemp()) / "log")
    >>> _ = store.write("case_1", {"status": "done", "settings": {"tau": 10}})
    >>> store.is_done("case_1", settings={"tau": 10}), store.is_done("case_1", settings={"tau": 5})
    (True, False)
    >>> sorted(store.read_all())
    ['case_1']
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

from segcls3d.errors import InputDataError
from segcls3d.io.atomic import write_json_atomic

logger = logging.getLogger(__name__)
DONE = "done"


def as_json(data: Any) -> Any:
    """``data`` as it reads back from JSON (tuples become lists, paths strings), for comparisons."""
    return json.loads(json.dumps(data, default=str))


def changed_keys(previous: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """Sorted keys whose values differ between two settings dicts."""
    return sorted(k for k in set(previous) | set(current) if previous.get(k) != current.get(k))


@dataclass(frozen=True)
class RecordFolder:
    """``<folder>/<key>.json`` records plus an optional settings file of the whole job.

    Attributes:
        folder: where the records live (created on the first write).
        settings_name: file name of the job's settings; it must not end in ``.json`` when it sits
            among the records (it would be read as a record).
        status_field: the record field that says whether the unit is finished.
        settings_field: the record field holding the unit's own settings (``is_done`` compares it).
        settings_file: full path of the job's settings when they live outside ``folder`` (e.g.
            ``<out>/pseudolabel_config.json`` next to ``<out>/pseudolabel_records/``); default
            ``folder / settings_name``.
    """

    folder: Path
    settings_name: str = "settings.txt"
    status_field: str = "status"
    settings_field: str = "settings"
    settings_file: Optional[Path] = None

    def path(self, key: str) -> Path:
        """Path of the record of ``key``."""
        return Path(self.folder) / f"{key}.json"

    def settings_path(self) -> Path:
        """Path of the job's settings file."""
        return Path(self.settings_file) if self.settings_file is not None else Path(self.folder) / self.settings_name

    def read(self, key: str) -> Optional[dict]:
        """The record of ``key``, or None when there is none or it is unreadable (then it is redone)."""
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            logger.warning("ignoring unreadable record %s (%s); it is done again", path, exc)
            return None
        if not isinstance(data, dict):
            logger.warning("ignoring record %s: not a JSON object; it is done again", path)
            return None
        return data

    def write(self, key: str, record: Mapping[str, Any]) -> Path:
        """Write the record of ``key`` atomically (a killed job leaves the old record or none)."""
        return write_json_atomic(self.path(key), dict(record))

    def is_done(self, key: str, settings: Optional[Mapping[str, Any]] = None, done: tuple[str, ...] = (DONE,)) -> bool:
        """The record of ``key`` exists, its status is in ``done`` and (if given) its settings equal ``settings``."""
        record = self.read(key)
        if record is None or record.get(self.status_field) not in done:
            return False
        return settings is None or record.get(self.settings_field) == as_json(settings)

    def keys(self) -> list[str]:
        """Keys of all records, sorted."""
        folder = Path(self.folder)
        return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []

    def read_all(self, strict: bool = False) -> dict[str, dict]:
        """All records by key (sorted).

        Raises:
            InputDataError: ``strict`` and a record is not valid JSON.
        """
        records = {}
        for key in self.keys():
            if strict:
                path = self.path(key)
                try:
                    records[key] = json.loads(path.read_text())
                except json.JSONDecodeError as exc:
                    raise InputDataError(f"{path}: record is not valid JSON ({exc})") from None
            else:
                record = self.read(key)
                if record is not None:
                    records[key] = record
        return records

    def read_settings(self) -> Optional[dict]:
        """The stored settings of the job, or None (none stored, or unreadable: a warning is logged)."""
        path = self.settings_path()
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            logger.warning("ignoring unreadable settings file %s (%s)", path, exc)
            return None
        return data if isinstance(data, dict) else None

    def write_settings(self, settings: Mapping[str, Any]) -> Path:
        """Store the job's settings atomically (replacing any stored ones) and return the path."""
        return write_json_atomic(self.settings_path(), as_json(dict(settings)))

    def check_settings(self, settings: Mapping[str, Any], what: str = "this folder",
                       advice: str = "use a new output folder, or delete it to start over") -> None:
        """Store the job's settings, or check them against the stored ones.

        Args:
            settings: the options that shape the output.
            what: how the error message names the folder.
            advice: what the error message tells the user to do.

        Raises:
            InputDataError: the folder was written with other settings (the message names the
                changed keys with their old and new values).
        """
        current = as_json(dict(settings))
        previous = self.read_settings()
        if previous is not None and previous != current:
            changed = changed_keys(previous, current)
            details = ", ".join(f"{k}: {previous.get(k)!r} -> {current.get(k)!r}" for k in changed)
            raise InputDataError(f"{what} was written with other settings ({details}); {advice}")
        self.write_settings(current)
