"""Find the cases of an input folder: nnU-Net naming (``<case>_0000.nii.gz``) or one file per case."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Union

from segcls3d.errors import InputDataError

PathLike = Union[str, Path]
_CHANNEL = re.compile(r"^(?P<case>.+)_(?P<channel>\d{4})$")


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
    files = sorted(f for f in folder.iterdir() if f.is_file() and f.name.endswith(file_ending)
                   and not f.name.startswith("."))
    if not files:
        raise InputDataError(f"no '*{file_ending}' files in {folder}")
    cases: dict[str, dict[int, Path]] = {}
    for f in files:
        stem = f.name[: -len(file_ending)]
        match = _CHANNEL.match(stem)
        if match:
            cases.setdefault(match["case"], {})[int(match["channel"])] = f
        elif num_channels == 1:
            cases.setdefault(stem, {})[0] = f
        else:
            raise InputDataError(
                f"{f}: the model expects {num_channels} channels, name the files <case>_0000{file_ending} ... "
                f"<case>_{num_channels - 1:04d}{file_ending}"
            )
    if num_channels == 1:
        cases = _split_numbered_single_channel_names(cases, file_ending)
    result: dict[str, list[Path]] = {}
    problems: dict[str, str] = {}
    for case, channels in sorted(cases.items()):
        missing = [f"{case}_{c:04d}{file_ending}" for c in range(num_channels) if c not in channels]
        extra = sorted(set(channels) - set(range(num_channels)))
        if missing:
            problems[case] = f"missing channel file(s) {missing}"
        elif extra:
            problems[case] = f"channel(s) {extra} present but the model takes {num_channels}"
        else:
            result[case] = [channels[c] for c in range(num_channels)]
    return result, problems


def _split_numbered_single_channel_names(cases: dict[str, dict[int, Path]],
                                         file_ending: str) -> dict[str, dict[int, Path]]:
    """For 1-channel models, ``scan_0012.nii.gz`` without a ``scan_0000`` file is case ``scan_0012``."""
    result: dict[str, dict[int, Path]] = {}
    for case, channels in cases.items():
        if 0 in channels:
            result[case] = channels
            continue
        for path in channels.values():
            result[path.name[: -len(file_ending)]] = {0: path}
    return result
