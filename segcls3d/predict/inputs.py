"""Find the cases of an input folder: nnU-Net naming (``<case>_0000.nii.gz``) or one file per case.

NIfTI models take ``.nii`` as well as ``.nii.gz`` files: nnU-Net's readers read both, and the mask
is written with the model's ending.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Union

from segcls3d.errors import InputDataError

PathLike = Union[str, Path]
_CHANNEL = re.compile(r"^(?P<case>.+)_(?P<channel>\d{4})$")
NIFTI_ENDINGS: tuple[str, ...] = (".nii.gz", ".nii")


def accepted_endings(file_ending: str) -> tuple[str, ...]:
    """The file endings read as images of a model whose dataset.json says ``file_ending``."""
    return NIFTI_ENDINGS if file_ending in NIFTI_ENDINGS else (file_ending,)


def image_stem(path: Path, file_ending: str) -> str:
    """``path``'s name without its image ending (``a_0000.nii`` -> ``a_0000`` for a ``.nii.gz`` model)."""
    ending = next(e for e in accepted_endings(file_ending) if path.name.endswith(e))
    return path.name[: -len(ending)]


def has_channel_suffix(path: Path, file_ending: str) -> bool:
    """Whether ``path`` is named ``<case>_XXXX<ending>`` (nnU-Net's channel naming)."""
    return _CHANNEL.match(image_stem(path, file_ending)) is not None


def image_files(folder: Path, file_ending: str) -> list[Path]:
    """The image files of ``folder`` (hidden and temporary files excluded), sorted by name."""
    endings = accepted_endings(file_ending)
    return sorted(f for f in folder.iterdir() if f.is_file() and f.name.endswith(endings)
                  and not f.name.startswith("."))


def collect_cases(folder: PathLike, file_ending: str,
                  num_channels: int) -> tuple[dict[str, list[Path]], dict[str, str]]:
    """Group the files of ``folder`` into cases, each a list of channel files in channel order.

    Files named ``<case>_XXXX<ending>`` are grouped by case; when the model has a single channel,
    files without that suffix are taken as one case each (``<case><ending>``).

    Returns:
        (cases, problems): channel files per valid case, and a message per case that cannot be
        predicted (missing or extra channels), so that the other cases still are.

    Raises:
        InputDataError: the folder is missing or has no image files.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputDataError(f"input folder {folder} does not exist")
    files = image_files(folder, file_ending)
    if not files:
        raise InputDataError(f"no {' or '.join(repr('*' + e) for e in accepted_endings(file_ending))} files "
                             f"in {folder}")
    named = [(f, *_case_and_channel(f, file_ending, num_channels)) for f in files]
    if num_channels == 1:  # scan_0012.nii.gz without a scan_0000 file is case scan_0012, not channel 12
        with_channel_0 = {case for _, case, channel in named if channel == 0}
        named = [(f, case, ch) if case in with_channel_0 else (f, image_stem(f, file_ending), 0)
                 for f, case, ch in named]
    cases: dict[str, dict[int, Path]] = {}
    duplicates: dict[str, list[str]] = {}
    for f, case, channel in named:
        if channel in cases.setdefault(case, {}):
            duplicates.setdefault(case, [cases[case][channel].name]).append(f.name)
        cases[case][channel] = f
    result: dict[str, list[Path]] = {}
    problems: dict[str, str] = {}
    for case, channels in sorted(cases.items()):
        missing = [f"{case}_{c:04d}{file_ending}" for c in range(num_channels) if c not in channels]
        extra = sorted(set(channels) - set(range(num_channels)))
        if case in duplicates:
            problems[case] = f"one channel in several files {duplicates[case]}"
        elif missing:
            problems[case] = f"missing channel file(s) {missing}"
        elif extra:
            problems[case] = f"channel(s) {extra} present but the model takes {num_channels}"
        else:
            result[case] = [channels[c] for c in range(num_channels)]
    return result, problems


def _case_and_channel(path: Path, file_ending: str, num_channels: int) -> tuple[str, int]:
    """``a_0001.nii.gz`` -> ``("a", 1)``; an unsuffixed name is channel 0 of a 1-channel model."""
    stem = image_stem(path, file_ending)
    match = _CHANNEL.match(stem)
    if match:
        return match["case"], int(match["channel"])
    if num_channels == 1:
        return stem, 0
    raise InputDataError(
        f"{path}: the model expects {num_channels} channels, name the files <case>_0000{file_ending} ... "
        f"<case>_{num_channels - 1:04d}{file_ending}"
    )
