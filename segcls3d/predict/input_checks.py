"""Check a predict job before the model loads: the output folder, the input folder, every input file.

:func:`read_model_spec` reads what the checks need from the model folder's dataset.json and
plans.json (no network is built). :func:`check_cases` reads every NIfTI input to its end
(:mod:`segcls3d.predict.nifti_check`) and reports a truncated, corrupt, 4D, or single-slice (for a
3D model) file as a problem of its case, so that the other cases are still predicted; a folder
that holds label maps instead of images (``labelsTr``) is refused as a whole.

Example:
    >>> spec = read_model_spec("tests/data/old_checkpoints/models/"
    ...                        "nnUNetTrainerSegCls_smoke__nnUNetPlans_cpu_tiny__3d_fullres")
    >>> spec.file_ending, spec.num_channels, spec.patch_size, sorted(spec.label_values)
    ('.nii.gz', 1, (24, 24, 24), [0, 1])
"""
from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from segcls3d.errors import InputDataError, ModelFolderError
from segcls3d.predict.inputs import NIFTI_ENDINGS, collect_cases, has_channel_suffix, image_files
from segcls3d.predict.nifti_check import NiftiInfo, inspect_nifti

logger = logging.getLogger(__name__)
PathLike = Union[str, Path]


@dataclass(frozen=True)
class ModelSpec:
    """What a model folder says about its inputs (from dataset.json and plans.json)."""

    folder: Path
    file_ending: str
    num_channels: int
    label_values: frozenset[int]
    patch_size: Optional[tuple[int, ...]] = None  # None: configuration not found in plans.json


def read_model_spec(model_folder: PathLike) -> ModelSpec:
    """Read file ending, channels, labels and patch size of ``<trainer>__<plans>__<configuration>``.

    Raises:
        ModelFolderError: dataset.json or plans.json is missing or not JSON.
    """
    folder = Path(model_folder)
    texts = {}
    for name in ("dataset.json", "plans.json"):
        try:
            texts[name] = json.loads((folder / name).read_text())
        except FileNotFoundError:
            raise ModelFolderError(
                f"{folder}: no {name}; pass the folder <trainer>__<plans>__<configuration>") from None
        except (OSError, ValueError) as exc:
            raise ModelFolderError(f"{folder / name}: cannot be read ({exc})") from None
    dataset, plans = texts["dataset.json"], texts["plans.json"]
    labels = set()
    for value in dataset.get("labels", {}).values():  # region-based labels are lists of ids
        labels.update(value if isinstance(value, list) else [value])
    return ModelSpec(folder, dataset.get("file_ending", ".nii.gz"),
                     len(dataset.get("channel_names", dataset.get("modality", {}))) or 1,
                     frozenset(int(v) for v in labels), _patch_size(plans, folder.name.split("__")[-1]))


def _patch_size(plans: dict, configuration: str) -> Optional[tuple[int, ...]]:
    """The configuration's patch size, following ``inherits_from``."""
    configurations = plans.get("configurations", {})
    seen = set()
    while configuration in configurations and configuration not in seen:
        seen.add(configuration)
        if "patch_size" in configurations[configuration]:
            return tuple(configurations[configuration]["patch_size"])
        configuration = configurations[configuration].get("inherits_from")
    return None


def check_output_folder(output: PathLike) -> None:
    """Fail fast, naming the folder, when ``output`` cannot be created or written; nothing is created.

    Raises:
        InputDataError: ``output`` is a file, lies under a file, or its (nearest existing) folder is not writable.
    """
    out = Path(output).absolute()
    existing = out
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        what = "is a file" if existing == out else f"cannot be created: {existing} is a file"
        raise InputDataError(f"output folder {output} {what}")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        where = "" if existing == out else f" (cannot create it in {existing})"
        raise InputDataError(f"output folder {output} is not writable{where}: {exc.strerror or exc}") from None


def check_cases(input_dir: PathLike, spec: ModelSpec) -> tuple[dict[str, list[Path]], dict[str, str]]:
    """The cases of ``input_dir`` that can be predicted, and a reason for each one that cannot.

    Like :func:`~segcls3d.predict.inputs.collect_cases`, and every NIfTI file is read to its end:
    a truncated or corrupt file, a 4D image, or a single-slice image for a 3D model is a problem of
    its case. Other formats are left to nnU-Net's reader.

    Raises:
        InputDataError: the folder is missing, has no image files, or holds label maps (labelsTr).
    """
    cases, problems = collect_cases(input_dir, spec.file_ending, spec.num_channels)
    good: dict[str, list[Path]] = {}
    infos: list[NiftiInfo] = []
    for case, files in cases.items():
        try:
            infos.extend(_check_file(f, spec) for f in files if f.name.endswith(NIFTI_ENDINGS))
        except _FileProblem as exc:
            problems[case] = str(exc)
            continue
        good[case] = files
    _refuse_label_maps(Path(input_dir), infos, spec)
    logger.info("checked the inputs of %d case(s): %d can be predicted", len(cases), len(good))
    return good, dict(sorted(problems.items()))


class _FileProblem(Exception):
    """A reason why one input file cannot be predicted (becomes its case's message)."""


def _check_file(path: Path, spec: ModelSpec) -> NiftiInfo:
    try:
        info = inspect_nifti(path)
    except InputDataError as exc:
        raise _FileProblem(f"{path.name}: {exc}") from None
    shape = info.spatial_shape
    if len(shape) > 3:
        raise _FileProblem(
            f"{path.name}: {len(shape)}D image of shape {shape}; nnU-Net takes one 3D file per channel "
            f"(<case>_0000{spec.file_ending}, <case>_0001{spec.file_ending}, ...), the model has "
            f"{spec.num_channels} channel(s)")
    if spec.patch_size is not None and len(spec.patch_size) == 3 and (len(shape) < 3 or 1 in shape):
        raise _FileProblem(
            f"{path.name}: single-slice (2D) image of shape {shape}, but {spec.folder.name} is a 3D model "
            f"(patch {'x'.join(map(str, spec.patch_size))}); predict 2D images with a 2d model")
    return info


def _refuse_label_maps(folder: Path, infos: list[NiftiInfo], spec: ModelSpec) -> None:
    """A folder without ``_0000`` names whose files all hold only label values is a labelsTr folder."""
    if not infos or not spec.label_values or any(
            has_channel_suffix(f, spec.file_ending) for f in image_files(folder, spec.file_ending)):
        return
    low, high = min(spec.label_values), max(spec.label_values)
    if all(i.value_range is not None and low <= i.value_range[0] and i.value_range[1] <= high for i in infos):
        raise InputDataError(
            f"{folder} looks like a folder of label maps (labelsTr), not images: no file is named "
            f"<case>_0000{spec.file_ending} and every file holds only label values {low}..{high}; pass the images "
            f"folder (imagesTs/imagesTr), one file per channel named <case>_0000{spec.file_ending}")
