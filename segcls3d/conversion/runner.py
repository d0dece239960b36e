"""Per-case conversion runner: resumable, parallel, shardable, with a per-case log.

Every converter turns one case at a time into nnU-Net files with a ``convert_one(case_id) ->
CaseResult`` function. :func:`run_cases` calls it for many cases and writes one JSON record per
case to ``<out_dir>/conversion_log/<case_id>.json`` right after the case finishes, so that

* a re-run skips the cases whose record says ``done`` (resume after a crash or a time limit),
* ``shard=(i, n)`` converts only every n-th case (cluster job arrays), and
  :func:`merge_records` later collects the records of all shards,
* a case that raises is logged and recorded, and never stops the other cases,
* temporary files of a killed earlier run are removed first (unsharded runs and the merge only,
  see :mod:`~segcls3d.conversion.leftovers`).

Example:
    >>> def convert_one(case_id):  # doctest: +SKIP
    ...     ...  # write imagesTr/<case_id>_0000.nii.gz and labelsTr/<case_id>.nii.gz
    ...     return CaseResult(case_id, "done", labels={"fracture": 1.0})
    >>> results = run_cases(["a", "b"], convert_one, Path("Dataset601_X"), num_processes=2)  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import logging
import math
import multiprocessing
import traceback
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

from tqdm import tqdm

from segcls3d.conversion.leftovers import remove_leftovers
from segcls3d.errors import InputDataError, SegCls3dError
from segcls3d.io import write_text_atomic
from segcls3d.io.records import RecordFolder

logger = logging.getLogger(__name__)

LOG_DIRNAME = "conversion_log"
SUMMARY_FILENAME = "summary.txt"
SETTINGS_FILENAME = "settings.txt"  # JSON, but not *.json: those are case records
STATUSES = ("done", "skipped", "failed")
SPLITS = ("train", "test")


@dataclass
class CaseResult:
    """Outcome of converting one case.

    Attributes:
        case_id: the nnU-Net case identifier (file name stem without channel suffix).
        status: ``"done"``, ``"skipped"`` (bad or incomplete input) or ``"failed"`` (unexpected error).
        message: why the case was skipped or failed (empty when done).
        labels: image-level labels of the case, ``{class: 0/1/None}`` (None = unknown).
        split: ``"train"`` (imagesTr) or ``"test"`` (imagesTs).
    """

    case_id: str
    status: str
    message: str = ""
    labels: dict[str, float | None] = field(default_factory=dict)
    split: str = "train"

    def to_json(self) -> dict:
        labels = {
            str(k): (None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v))
            for k, v in self.labels.items()
        }
        return {**asdict(self), "labels": labels}

    @classmethod
    def from_json(cls, data: dict, source: str = "<record>") -> "CaseResult":
        """Rebuild a result from a record; raises InputDataError when the record is malformed."""
        try:
            result = cls(
                case_id=str(data["case_id"]),
                status=str(data["status"]),
                message=str(data.get("message", "")),
                labels={str(k): (None if v is None else float(v)) for k, v in dict(data.get("labels", {})).items()},
                split=str(data.get("split", "train")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputDataError(f"{source}: malformed conversion record ({exc!r})") from None
        _check_result(result, source)
        return result


class ShardSpecError(SegCls3dError, argparse.ArgumentTypeError):
    """A ``--shard`` value is not ``i/n`` with ``0 <= i < n``."""


def parse_shard(text: str) -> tuple[int, int]:
    """Parse ``"i/n"`` (0-based shard index i of n shards) into ``(i, n)``.

    Usable as an argparse ``type=``.

    Raises:
        ShardSpecError: the text is not two integers ``i/n`` with ``n >= 1`` and ``0 <= i < n``.
    """
    parts = str(text).strip().split("/")
    try:
        if len(parts) != 2:
            raise ValueError
        index, count = int(parts[0]), int(parts[1])
    except ValueError:
        raise ShardSpecError(f"shard {text!r} is not of the form i/n (e.g. 0/4 = first of 4 shards)") from None
    if count < 1 or not 0 <= index < count:
        raise ShardSpecError(f"shard {text!r}: need n >= 1 and 0 <= i < n (shard indices are 0-based)")
    return index, count


def log_dir(out_dir: Path) -> Path:
    """Folder holding the per-case records of a conversion."""
    return Path(out_dir) / LOG_DIRNAME


def records(out_dir: Path) -> RecordFolder:
    """The per-case records (and the settings) of a conversion: ``out_dir/conversion_log/``."""
    return RecordFolder(log_dir(out_dir), settings_name=SETTINGS_FILENAME)


def record_path(out_dir: Path, case_id: str) -> Path:
    """Path of the JSON record of one case."""
    return records(out_dir).path(case_id)


def read_record(out_dir: Path, case_id: str) -> Optional[CaseResult]:
    """The stored record of a case, or None when there is none (or it is unreadable: a warning is logged)."""
    store = records(out_dir)
    data = store.read(case_id)
    if data is None:
        return None
    try:
        return CaseResult.from_json(data, source=str(store.path(case_id)))
    except SegCls3dError as exc:
        logger.warning("ignoring unreadable record %s (%s); the case is converted again", store.path(case_id), exc)
        return None


def run_cases(
    case_ids: Sequence[str],
    convert_one: Callable[[str], CaseResult],
    out_dir: Path,
    *,
    num_processes: int = 1,
    shard: tuple[int, int] | None = None,
    desc: str = "converting",
    clean_leftovers: bool = True,
) -> list[CaseResult]:
    """Convert cases one by one (or in a process pool), recording each outcome.

    Cases whose record already says ``done`` are not converted again; their stored result is
    returned. ``SegCls3dError`` raised by ``convert_one`` (bad input such as a DICOM series with a
    gap) gives status ``skipped``; any other exception gives ``failed`` with the error message
    (traceback in the debug log). Neither stops the other cases.

    Args:
        case_ids: all case ids of the dataset (order does not matter; they are sorted).
        convert_one: picklable callable (module-level function or ``functools.partial``) when
            ``num_processes > 1``.
        out_dir: the raw dataset folder; records go to ``out_dir/conversion_log/``.
        num_processes: worker processes (1 = in this process).
        shard: ``(i, n)`` to convert only cases whose index in the sorted list is ``i`` modulo ``n``.
        desc: progress bar label.
        clean_leftovers: remove temporary files of a killed earlier run from ``out_dir`` first
            (never in a sharded run: other shards may be writing into the same folder).

    Returns:
        The results of this shard's cases in sorted case order (resumed ones included).

    Raises:
        ValueError: duplicated case ids, case ids that are not file names, or a bad shard.
    """
    out_dir = Path(out_dir)
    if clean_leftovers and shard is None:
        remove_leftovers(out_dir)
    ids = sorted(str(c) for c in case_ids)
    if len(set(ids)) != len(ids):
        dupes = sorted(c for c, n in Counter(ids).items() if n > 1)
        raise ValueError(f"duplicated case ids: {dupes[:10]}")
    bad = [c for c in ids if not c or "/" in c or "\\" in c or c.startswith(".")]
    if bad:
        raise ValueError(f"case ids must be plain file names: {bad[:10]}")
    if shard is not None:
        index, count = shard
        if count < 1 or not 0 <= index < count:
            raise ValueError(f"shard {shard}: need n >= 1 and 0 <= i < n")
        ids = [c for k, c in enumerate(ids) if k % count == index]
    log_dir(out_dir).mkdir(parents=True, exist_ok=True)

    results: dict[str, CaseResult] = {}
    todo: list[str] = []
    for case_id in ids:
        previous = read_record(out_dir, case_id)
        if previous is not None and previous.status == "done":
            results[case_id] = previous
        else:
            todo.append(case_id)
    if results:
        logger.info("%d case(s) already converted (records say done), %d to do", len(results), len(todo))

    store = records(out_dir)
    for result in _iterate(todo, convert_one, num_processes, desc):
        store.write(result.case_id, result.to_json())
        if result.status != "done":
            logger.warning("case %s %s: %s", result.case_id, result.status, result.message)
        results[result.case_id] = result

    ordered = [results[c] for c in ids]
    summary_name = SUMMARY_FILENAME if shard is None else f"summary_shard{shard[0]}of{shard[1]}.txt"
    write_summary(out_dir, ordered, name=summary_name)
    return ordered


def _iterate(todo: list[str], convert_one: Callable[[str], CaseResult], num_processes: int, desc: str):
    """Yield results as cases finish, in this process or in a spawn pool."""
    if not todo:
        return
    bar = tqdm(total=len(todo), desc=desc, unit="case")
    try:
        if num_processes <= 1 or len(todo) == 1:
            for case_id in todo:
                yield _convert_safely(convert_one, case_id)
                bar.update()
            return
        context = multiprocessing.get_context("spawn")
        # the converter is sent once per worker (it may carry a large case table), then only ids
        with context.Pool(
            min(num_processes, len(todo)), initializer=_set_worker_converter, initargs=(convert_one,)
        ) as pool:
            for result in pool.imap_unordered(_convert_in_worker, todo, chunksize=1):
                yield result
                bar.update()
    finally:
        bar.close()


_WORKER_CONVERTER: Optional[Callable[[str], CaseResult]] = None


def _set_worker_converter(convert_one: Callable[[str], CaseResult]) -> None:
    global _WORKER_CONVERTER
    _WORKER_CONVERTER = convert_one


def _convert_in_worker(case_id: str) -> CaseResult:
    assert _WORKER_CONVERTER is not None, "worker not initialized"
    return _convert_safely(_WORKER_CONVERTER, case_id)


def _convert_safely(convert_one: Callable[[str], CaseResult], case_id: str) -> CaseResult:
    """Call ``convert_one`` and turn every exception into a skipped/failed result."""
    try:
        result = convert_one(case_id)
        if not isinstance(result, CaseResult):
            raise TypeError(f"convert_one returned {type(result).__name__}, expected CaseResult")
        if result.case_id != case_id:
            raise ValueError(f"convert_one returned a result for case {result.case_id!r}")
        _check_result(result, f"case {case_id}")
        return result
    except SegCls3dError as exc:
        return CaseResult(case_id, "skipped", message=str(exc))
    except Exception as exc:  # noqa: BLE001 - one broken case must not stop the job
        logging.getLogger(__name__).debug("case %s failed:\n%s", case_id, traceback.format_exc())
        return CaseResult(case_id, "failed", message=f"{type(exc).__name__}: {exc}")


def _check_result(result: CaseResult, source: str) -> None:
    if result.status not in STATUSES:
        raise InputDataError(f"{source}: status {result.status!r} is not one of {STATUSES}")
    if result.split not in SPLITS:
        raise InputDataError(f"{source}: split {result.split!r} is not one of {SPLITS}")


def check_settings(out_dir: Path, settings: dict) -> None:
    """Record the options that shape the output, or check them against the recorded ones.

    Resuming into a folder converted with other options would silently mix two kinds of cases.

    Raises:
        InputDataError: the folder was converted with different settings (the message names them).
    """
    records(out_dir).check_settings(settings, what=str(out_dir))


def merge_records(out_dir: Path) -> list[CaseResult]:
    """Read the records of all cases (all shards) of a conversion, sorted by case id.

    All shards have finished by then, so temporary files of killed shard runs are removed first.

    Raises:
        InputDataError: there is no ``conversion_log`` folder, or a record is malformed.
    """
    store = records(out_dir)
    if not Path(store.folder).is_dir():
        raise InputDataError(f"{store.folder}: no conversion records found (run the conversion first)")
    remove_leftovers(Path(out_dir))
    stored = store.read_all(strict=True)
    results = [CaseResult.from_json(data, source=str(store.path(key))) for key, data in stored.items()]
    return sorted(results, key=lambda r: r.case_id)


def summarize_results(results: Sequence[CaseResult]) -> str:
    """Human-readable summary: counts per status, then every skipped/failed case with its reason."""
    counts = {s: sum(r.status == s for r in results) for s in STATUSES}
    lines = [f"{len(results)} case(s): " + ", ".join(f"{counts[s]} {s}" for s in STATUSES)]
    for status in ("skipped", "failed"):
        for r in results:
            if r.status == status:
                lines.append(f"{status} {r.case_id}: {r.message}")
    return "\n".join(lines) + "\n"


def write_summary(out_dir: Path, results: Sequence[CaseResult], name: str = SUMMARY_FILENAME) -> Path:
    """Log the summary and write it to ``out_dir/conversion_log/<name>``."""
    text = summarize_results(results)
    level = logging.WARNING if any(r.status != "done" for r in results) else logging.INFO
    logger.log(level, "conversion summary: %s", text.rstrip("\n").replace("\n", "\n  "))
    return write_text_atomic(log_dir(out_dir) / name, text)
