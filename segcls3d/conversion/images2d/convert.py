"""Converting 2D cases (image + mask source + labels) into single-slice nnU-Net case files.

A converter script builds one :class:`Case2D` per image and calls :func:`run_2d`; each case is
read (:mod:`~segcls3d.conversion.images2d.reading`), turned into single-slice volumes
(:mod:`~segcls3d.conversion.images2d.single_slice`) and written with
:func:`segcls3d.conversion.dataset_writer.write_case` under the shared resumable runner.

The case table is stored once in a temporary pickle next to the output and each worker loads it
once, so parallel runs do not send the whole table with every case. A pickle (or a half-written
case file) left by a killed run is removed by the next unsharded run or ``--merge``
(:mod:`~segcls3d.conversion.leftovers`).

Example:
    >>> cases = [Case2D("a", "a.png", MaskFiles(("a_mask.png",)), {"lesion": 1.0})]  # doctest: +SKIP
    >>> results = run_2d(cases, Path("Dataset900_X"), channels="gray", num_processes=2)  # doctest: +SKIP
"""
from __future__ import annotations

import functools
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from segcls3d.conversion.dataset_writer import write_case
from segcls3d.conversion.images2d.channel_probe import dataset_channels
from segcls3d.conversion.images2d.mask_io import MaskSource
from segcls3d.conversion.images2d.reading import read_image_2d
from segcls3d.conversion.images2d.single_slice import single_slice_channels, single_slice_mask
from segcls3d.conversion.leftovers import CASE_TABLE_PREFIX, CASE_TABLE_SUFFIX, remove_leftovers
from segcls3d.conversion.runner import CaseResult, run_cases
from segcls3d.errors import InputDataError


@dataclass(frozen=True)
class Case2D:
    """One 2D case to convert.

    Attributes:
        case_id: nnU-Net case identifier.
        image: image file, or None when the dataset lists the case but no image file was found
            (the case is then reported as skipped).
        mask: where the label map comes from; None = no label file (test cases without masks).
        labels: image-level labels ``{class: 0/1/None}``.
        split: ``"train"`` (imagesTr) or ``"test"`` (imagesTs).
        group: patient id for patient-grouped cross-validation splits (None = the case itself).
    """

    case_id: str
    image: Optional[str]
    mask: Optional[MaskSource] = None
    labels: dict = field(default_factory=dict)
    split: str = "train"
    group: Optional[str] = None


def convert_case_2d(case: Case2D, out_dir: Path, channels: str = "auto",
                    default_spacing: tuple[float, float] = (1.0, 1.0)) -> CaseResult:
    """Write the channel files (and label map) of one case; returns a ``done`` result.

    Raises:
        InputDataError: no image file, unreadable image or mask, or mask/image size mismatch
            (the runner records the case as skipped with this message).
    """
    if case.image is None:
        raise InputDataError(f"case {case.case_id}: no image file found for this case")
    try:
        image = read_image_2d(case.image, channels=channels, default_spacing=default_spacing)
    except InputDataError as exc:
        raise InputDataError(f"case {case.case_id}: {exc}") from None
    volumes = single_slice_channels(image.array, image.spacing)
    label = None
    if case.mask is not None:
        mask = case.mask.load(image.shape, case.case_id)
        label = single_slice_mask(mask, image.shape, image.spacing, case.case_id)
    write_case(out_dir, case.case_id, volumes, label, split=case.split)
    return CaseResult(case.case_id, "done", labels=dict(case.labels), split=case.split)


@functools.lru_cache(maxsize=4)
def _load_table(table_path: str) -> dict[str, Case2D]:
    with open(table_path, "rb") as handle:
        return pickle.load(handle)


def _convert_from_table(table_path: str, out_dir: str, channels: str, default_spacing: tuple[float, float],
                        case_id: str) -> CaseResult:
    case = _load_table(table_path)[case_id]
    return convert_case_2d(case, Path(out_dir), channels, default_spacing)


def run_2d(
    cases: Sequence[Case2D],
    out_dir: Path,
    *,
    channels: str = "auto",
    default_spacing: tuple[float, float] = (1.0, 1.0),
    num_processes: int = 1,
    shard: tuple[int, int] | None = None,
    desc: str = "converting 2D",
) -> list[CaseResult]:
    """Convert all cases with :func:`segcls3d.conversion.runner.run_cases` (resumable, sharded).

    ``channels="auto"`` is decided once for the whole dataset before converting (every shard
    decides the same): ``"rgb"`` when any image has real colour, else ``"gray"``.

    Raises:
        ValueError: duplicated case ids.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    table = {c.case_id: c for c in cases}
    if len(table) != len(cases):
        seen: set[str] = set()
        dupes = sorted({c.case_id for c in cases if c.case_id in seen or seen.add(c.case_id)})
        raise ValueError(f"duplicated case ids: {dupes[:10]}")
    if channels == "auto":
        channels = dataset_channels(c.image for c in cases)
    if shard is None:  # before our own table exists; other shards may be running into out_dir
        remove_leftovers(out_dir)
    fd, table_path = tempfile.mkstemp(prefix=CASE_TABLE_PREFIX, suffix=CASE_TABLE_SUFFIX, dir=out_dir)
    try:
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(table, handle)
        convert_one = functools.partial(_convert_from_table, table_path, str(out_dir), channels,
                                        tuple(default_spacing))
        return run_cases(list(table), convert_one, out_dir, num_processes=num_processes, shard=shard, desc=desc,
                         clean_leftovers=False)
    finally:
        _load_table.cache_clear()
        os.unlink(table_path)
