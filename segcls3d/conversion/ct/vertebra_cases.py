"""Convert one CT with per-vertebra-level labels into an nnU-Net case (shared by Dataset601/602).

``convert_vertebra_case`` is the ``convert_one`` of :func:`segcls3d.conversion.runner.run_cases`
(bind the keyword arguments with ``functools.partial``). Vertebra masks come from a
:class:`VertebraeSource`: precomputed TotalSegmentator outputs (``--vertebrae-from``), the RSNA
competition's segmentations, earlier TotalSegmentator runs kept in the output folder, or a new
TotalSegmentator run, in this order. Negative cases need no vertebra mask unless the paper
preprocessing crops around the spine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np

from segcls3d.conversion.ct.dicom_series import read_dicom_series
from segcls3d.conversion.ct.paper_preprocessing import bone_window, resample_around_spine, spine_slice_range
from segcls3d.conversion.ct.totalseg import check_totalseg_weights, segment_vertebrae
from segcls3d.conversion.ct.vertebra_targets import (
    TargetSpec,
    case_labels,
    fracture_target,
    fractured_levels,
    restrict_to_slices,
)
from segcls3d.conversion.ct.vertebrae import (
    CERVICAL,
    LEVEL_IDS,
    RSNA_SEGMENTATION_IDS,
    TOTALSEG_TOTAL_IDS,
    find_segmentation,
    read_level_map,
    resample_to_reference,
)
from segcls3d.conversion.dataset_writer import write_case
from segcls3d.conversion.runner import CaseResult
from segcls3d.errors import InputDataError

logger = logging.getLogger(__name__)

TOTALSEG_CACHE_DIRNAME = "totalsegmentator"


@dataclass(frozen=True)
class VertebraCase:
    """One CT and its labels. ``ct_path`` is an image file or a DICOM series folder.

    ``bbox_slices`` are slice numbers with fracture bounding boxes: for a DICOM series the file name
    number (RSNA's ``slice_number``; InstanceNumber when file names are not numbers), for an image
    file the 0-based index along array axis 0.
    """

    case_id: str
    ct_path: Path
    level_labels: Mapping[str, Optional[float]]
    overall: Optional[float] = None
    bbox_slices: tuple[int, ...] = ()
    group: str = ""
    split: str = "train"


@dataclass(frozen=True)
class ConversionOptions:
    """What to write: target spec, bounding-box restriction, paper preprocessing."""

    spec: TargetSpec
    bbox_slices: bool = False
    paper_preprocessing: bool = False
    paper_size: tuple[int, int, int] = (128, 128, 128)

    @property
    def channel_names(self) -> dict[int, str]:
        # nnU-Net's CT normalization would undo the paper's [0, 1] bone-window scaling
        return {0: "noNorm" if self.paper_preprocessing else "CT"}


@dataclass(frozen=True)
class VertebraeSource:
    """Where the vertebra masks of a case come from (picklable; see module docstring for the order)."""

    precomputed_dir: Optional[Path] = None
    rsna_dir: Optional[Path] = None
    cache_dir: Optional[Path] = None
    use_totalseg: bool = True
    totalseg_fast: bool = False
    device: str = "gpu"
    totalseg_levels: tuple[str, ...] = CERVICAL

    def locate(self, case_id: str) -> Optional[tuple[Path, Mapping[str, int]]]:
        """An existing mask file of the case and its label ids, or None."""
        for folder, ids in (
            (self.precomputed_dir, TOTALSEG_TOTAL_IDS),
            (self.rsna_dir, RSNA_SEGMENTATION_IDS),
            (self.cache_dir, TOTALSEG_TOTAL_IDS),
        ):
            if folder is not None:
                path = find_segmentation(folder, case_id)
                if path is not None:
                    return path, ids
        return None

    def level_map(self, case_id: str, ct):
        """Level map of the case on the CT grid.

        Raises:
            InputDataError: no mask for the case and TotalSegmentator is not to be used.
            ModelFolderError: TotalSegmentator or its weights are missing.
        """
        found = self.locate(case_id)
        if found is not None:
            path, ids = found
            level_map, name = read_level_map(path, ids), f"case {case_id}: {path}"
        elif not self.use_totalseg:
            folders = [str(f) for f in (self.precomputed_dir, self.rsna_dir) if f is not None]
            raise InputDataError(f"case {case_id}: no vertebra segmentation in {folders or 'any folder'}")
        else:
            save_to = None if self.cache_dir is None else Path(self.cache_dir) / f"{case_id}.nii.gz"
            level_map = segment_vertebrae(
                ct, self.totalseg_levels, fast=self.totalseg_fast, device=self.device, save_to=save_to
            )
            name = f"case {case_id}: TotalSegmentator output"
        level_map = resample_to_reference(level_map, ct, name=name)
        _warn_if_not_bone(level_map, ct, name)
        return level_map


def _warn_if_not_bone(level_map, ct, name: str, min_mean_hu: float = 100.0) -> None:
    """A vertebra mask whose mean CT value is below bone density is probably misplaced (orientation?)."""
    import SimpleITK as sitk

    mask = sitk.GetArrayViewFromImage(level_map) > 0
    if mask.any():
        mean = float(sitk.GetArrayViewFromImage(ct)[mask].mean())
        if mean < min_mean_hu:
            logger.warning(
                "%s: mean CT value inside the vertebrae is %.0f (bone is > %.0f); check that the mask and the CT "
                "headers describe the same orientation",
                name,
                mean,
                min_mean_hu,
            )


def needs_level_map(case: VertebraCase, options: ConversionOptions) -> bool:
    """Whether converting the case needs vertebra masks (positive case, or paper preprocessing)."""
    if options.paper_preprocessing:
        return True
    return case.overall == 1 or any(v == 1 for v in case.level_labels.values())


def check_totalseg_needed(cases: Sequence[VertebraCase], source: VertebraeSource, options: ConversionOptions) -> int:
    """Check TotalSegmentator's weights before any work if some case has no vertebra mask yet.

    Returns:
        How many cases will run TotalSegmentator.

    Raises:
        ModelFolderError: TotalSegmentator or its weights are missing although cases need them.
    """
    pending = [c for c in cases if needs_level_map(c, options) and source.locate(c.case_id) is None]
    if pending and source.use_totalseg:
        check_totalseg_weights(source.totalseg_fast)
        logger.info("%d case(s) will be segmented with TotalSegmentator", len(pending))
    return len(pending)


def load_ct(path: Path, case_id: str):
    """CT image (and the DICOM series info, or None for image files).

    Raises:
        InputDataError: missing or unreadable file/series.
    """
    import SimpleITK as sitk

    path = Path(path)
    if path.is_dir():
        series = read_dicom_series(path, name=f"{case_id} ({path})")
        return series.image, series
    if not path.is_file():
        raise InputDataError(f"case {case_id}: CT {path} not found")
    try:
        return sitk.ReadImage(str(path)), None
    except RuntimeError as exc:
        raise InputDataError(f"case {case_id}: cannot read CT {path} ({str(exc).strip().splitlines()[-1]})") from None


def slice_indices(series, numbers: Sequence[int], case_id: str) -> list[int]:
    """Map bounding-box slice numbers to z indices of the stacked volume.

    Raises:
        InputDataError: a slice number matches no slice of the series.
    """
    if series is None:
        return [int(n) for n in numbers]
    stems = [p.name.split(".")[0] for p in series.files]
    keys = [int(s) for s in stems] if all(s.isdigit() for s in stems) else series.instance_numbers
    index = {k: i for i, k in enumerate(keys) if k is not None}
    missing = [n for n in numbers if n not in index]
    if missing:
        raise InputDataError(f"case {case_id}: bounding-box slice number(s) {missing[:5]} match no file of the series")
    return [index[n] for n in numbers]


def convert_vertebra_case(
    case_id: str,
    *,
    cases: Mapping[str, VertebraCase],
    out_dir: Path,
    source: VertebraeSource,
    options: ConversionOptions,
) -> CaseResult:
    """Write ``imagesTr/<case>_0000.nii.gz`` and ``labelsTr/<case>.nii.gz`` of one case.

    Raises:
        InputDataError: bad CT, missing vertebra, inconsistent labels (the runner records a skip).
        ModelFolderError: TotalSegmentator is needed but unavailable.
    """
    import SimpleITK as sitk

    case = cases[case_id]
    spec = options.spec
    labels = case_labels(spec, case.level_labels, case.overall, case_id)
    ct, series = load_ct(case.ct_path, case_id)
    if ct.GetDimension() != 3 or ct.GetNumberOfComponentsPerPixel() != 1:
        raise InputDataError(f"case {case_id}: CT must be a 3D single-channel image")
    level_map = source.level_map(case_id, ct) if needs_level_map(case, options) else None
    fractured = fractured_levels(spec, labels)
    if fractured:
        target = fracture_target(sitk.GetArrayViewFromImage(level_map), spec, fractured, case_id)
        if options.bbox_slices and case.bbox_slices:
            target = restrict_to_slices(target, slice_indices(series, case.bbox_slices, case_id), case_id)
    else:
        target = np.zeros(sitk.GetArrayViewFromImage(ct).shape, dtype=np.uint8)
    target_image = sitk.GetImageFromArray(target)
    target_image.CopyInformation(ct)
    image = ct
    if options.paper_preprocessing:
        ids = [LEVEL_IDS[lvl] for lvl in spec.levels]
        try:
            z_range = spine_slice_range(level_map, ids, case_id=case_id)
        except InputDataError:
            z_range = spine_slice_range(level_map, list(LEVEL_IDS.values()), case_id=case_id)
        image, target_image = resample_around_spine(bone_window(ct), target_image, z_range, options.paper_size)
    write_case(out_dir, case_id, [image], target_image, split=case.split)
    return CaseResult(case_id, "done", labels=labels, split=case.split)
