"""The last step of a 2D conversion: one channel count for all cases, dataset.json, labels CSV.

Example:
    >>> spec = Dataset2DSpec(labels={"background": 0, "pneumothorax": 1}, classes=["pneumothorax"])
    >>> finish_2d(Path("Dataset611_CANDIDPTX"), results, spec)  # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from segcls3d.conversion.dataset_writer import case_paths, finalize_dataset
from segcls3d.conversion.runner import CaseResult
from segcls3d.errors import InputDataError

RGB_CHANNEL_NAMES = {0: "R", 1: "G", 2: "B"}


@dataclass
class Dataset2DSpec:
    """What dataset.json says about a 2D dataset.

    Attributes:
        labels: nnU-Net labels, ``{"background": 0, ...}``.
        classes: image-level classes (columns of classification_labels.csv).
        class_block: ``{"classes": {...}}`` stored under ``"segcls3d"`` (None = default mapping).
        gray_channel_name: channel name of 1-channel datasets (``"CT"`` selects CT normalization).
        description: free text for dataset.json.
    """

    labels: dict
    classes: list[str]
    class_block: Optional[dict] = None
    gray_channel_name: str = "image"
    description: str = ""


def channel_count(out_dir: Path, result: CaseResult, max_channels: int = 4) -> int:
    """Number of consecutive channel files ``_0000``, ``_0001``... of a converted case."""
    paths, _ = case_paths(out_dir, result.case_id, result.split, max_channels)
    count = 0
    while count < max_channels and paths[count].is_file():
        count += 1
    return count


def check_channels(out_dir: Path, results: Sequence[CaseResult]) -> int:
    """The common channel count of all converted cases.

    Raises:
        InputDataError: cases have different channel counts (grayscale and colour images mixed);
            the message names examples and says to convert with ``--channels rgb`` or ``gray``.
    """
    counts: dict[int, list[str]] = {}
    for r in results:
        if r.status == "done":
            counts.setdefault(channel_count(out_dir, r), []).append(r.case_id)
    if len(counts) > 1:
        detail = "; ".join(f"{n} channel(s): {ids[:3]}" for n, ids in sorted(counts.items()))
        raise InputDataError(
            f"{out_dir}: cases have different channel counts ({detail}); nnU-Net needs the same number for "
            "every case: convert again with --channels rgb (keep colour) or --channels gray"
        )
    return next(iter(counts)) if counts else 1


def finish_2d(out_dir: Path, results: Sequence[CaseResult], spec: Dataset2DSpec) -> int:
    """Write dataset.json and classification_labels.csv (via finalize_dataset); returns the channel count.

    Raises:
        InputDataError: no converted case, or mixed channel counts.
    """
    out_dir = Path(out_dir)
    num_channels = check_channels(out_dir, results)
    if num_channels == 3:
        channel_names = dict(RGB_CHANNEL_NAMES)
    else:
        channel_names = {c: spec.gray_channel_name if num_channels == 1 else f"{spec.gray_channel_name}{c}"
                         for c in range(num_channels)}
    finalize_dataset(
        out_dir,
        results,
        channel_names=channel_names,
        labels=spec.labels,
        classes=spec.classes,
        class_block=spec.class_block,
        dataset_name=out_dir.name,
        description=spec.description or None,
    )
    return num_channels
