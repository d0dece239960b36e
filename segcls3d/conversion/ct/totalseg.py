"""Vertebra segmentation with TotalSegmentator's Python API (optional dependency).

TotalSegmentator is imported lazily; install it with ``pip install TotalSegmentator``. Its weights
are looked up where TotalSegmentator itself looks: ``$TOTALSEG_WEIGHTS_PATH`` if set, else
``$TOTALSEG_HOME_DIR/nnunet/results`` (default home: ``~/.totalsegmentator``). Call
:func:`check_totalseg_weights` before converting anything: TotalSegmentator would otherwise try to
download them in the middle of a job (and fail on machines without internet).
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Sequence

from segcls3d.conversion.ct.vertebrae import CERVICAL, TOTALSEG_TOTAL_IDS, read_level_map, totalseg_name
from segcls3d.errors import ModelFolderError
from segcls3d.io import atomic_path

logger = logging.getLogger(__name__)

# task ids of the `total` task's weights (TotalSegmentator v2): the 5 part models (or the 3 mm
# model with --fast) plus the 6 mm model it runs first to crop around roi_subset.
_TOTAL_TASK_IDS = {False: (291, 292, 293, 294, 295, 298), True: (297, 298)}
_TOTAL_FOLDERS = {
    291: "Dataset291_TotalSegmentator_part1_organs_1559subj",
    292: "Dataset292_TotalSegmentator_part2_vertebrae_1532subj",
    293: "Dataset293_TotalSegmentator_part3_cardiac_1559subj",
    294: "Dataset294_TotalSegmentator_part4_muscles_1559subj",
    295: "Dataset295_TotalSegmentator_part5_ribs_1559subj",
    297: "Dataset297_TotalSegmentator_total_3mm_1559subj",
    298: "Dataset298_TotalSegmentator_total_6mm_1559subj",
}


def _import_totalsegmentator():
    try:
        import totalsegmentator  # noqa: F401
    except ImportError:
        raise ModelFolderError(
            "TotalSegmentator is not installed; install it with `pip install TotalSegmentator` "
            "(or give precomputed vertebra masks with --vertebrae-from DIR)"
        ) from None


def totalseg_weights_dir() -> Path:
    """The folder TotalSegmentator reads its nnU-Net weights from (same rules as TotalSegmentator)."""
    try:
        from totalsegmentator.config import get_weights_dir

        return Path(get_weights_dir())
    except ImportError:
        if "TOTALSEG_WEIGHTS_PATH" in os.environ:
            return Path(os.environ["TOTALSEG_WEIGHTS_PATH"])
        home = (
            Path(os.environ["TOTALSEG_HOME_DIR"])
            if "TOTALSEG_HOME_DIR" in os.environ
            else ((Path("/tmp") if str(Path.home()) == "/" else Path.home()) / ".totalsegmentator")
        )
        return home / "nnunet" / "results"


def _weights_folders(task_ids: Sequence[int]) -> dict[int, str]:
    try:
        from totalsegmentator.map_tasks_config import TASK_ID_WEIGHTS_CONFIGS

        return {i: TASK_ID_WEIGHTS_CONFIGS[i]["foldername"] for i in task_ids}
    except (ImportError, KeyError):
        return {i: _TOTAL_FOLDERS[i] for i in task_ids}


def check_totalseg_weights(fast: bool = False) -> Path:
    """Make sure TotalSegmentator and the weights of its ``total`` task are installed.

    Returns:
        The weights folder.

    Raises:
        ModelFolderError: TotalSegmentator is not installed, or weight folders are missing; the
            message names the folder looked in, the environment variables and the download command.
    """
    _import_totalsegmentator()
    weights_dir = totalseg_weights_dir()
    folders = _weights_folders(_TOTAL_TASK_IDS[bool(fast)])
    missing = [name for name in folders.values() if not (weights_dir / name).is_dir()]
    if missing:
        task = "total_fast" if fast else "total"
        source = (
            "TOTALSEG_WEIGHTS_PATH"
            if "TOTALSEG_WEIGHTS_PATH" in os.environ
            else "TOTALSEG_HOME_DIR"
            if "TOTALSEG_HOME_DIR" in os.environ
            else "the default ~/.totalsegmentator (set TOTALSEG_HOME_DIR to change it)"
        )
        raise ModelFolderError(
            f"TotalSegmentator weights for task '{task}' are missing: looked in {weights_dir} (from {source}) "
            f"for {', '.join(missing)}. Download them before converting with `totalseg_download_weights -t {task}` "
            "(same TOTALSEG_HOME_DIR / TOTALSEG_WEIGHTS_PATH), copy them from a machine that has them, or give "
            "precomputed TotalSegmentator outputs with --vertebrae-from DIR."
        )
    return weights_dir


def segment_vertebrae(
    ct, levels: Sequence[str] = CERVICAL, *, fast: bool = False, device: str = "gpu", save_to: Path | None = None
):
    """Run TotalSegmentator (task ``total``, ``roi_subset`` = the levels) and return a level map.

    Args:
        ct: SimpleITK CT image in HU.
        levels: vertebra levels to segment (``C1``... or ``vertebrae_C1``...).
        fast: TotalSegmentator's 3 mm model.
        device: ``"gpu"``, ``"cpu"``, ``"mps"`` or ``"gpu:1"``.
        save_to: also keep TotalSegmentator's multi-label output (``total`` ids) here.

    Raises:
        ModelFolderError: TotalSegmentator or its weights are missing.
    """
    import SimpleITK as sitk

    check_totalseg_weights(fast)
    from totalsegmentator.python_api import totalsegmentator

    roi_subset = [totalseg_name(level) for level in levels]
    with tempfile.TemporaryDirectory(prefix="segcls3d_totalseg_") as tmp:
        ct_path, seg_path = Path(tmp) / "ct.nii.gz", Path(tmp) / "seg.nii.gz"
        sitk.WriteImage(ct, str(ct_path))
        totalsegmentator(
            ct_path, seg_path, ml=True, task="total", roi_subset=roi_subset, fast=fast, device=device, quiet=True
        )
        level_map = read_level_map(seg_path, TOTALSEG_TOTAL_IDS)
        if save_to is not None:
            with atomic_path(save_to) as out:
                out.write_bytes(seg_path.read_bytes())
    return level_map
