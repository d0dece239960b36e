"""dataset.json of an nnU-Net raw dataset, written by nnU-Net's own ``generate_dataset_json``, atomically.

Every writer of a raw dataset (converters, pseudo-labelling, the synthetic task) goes through
:func:`write_dataset_json`, so the file always has nnU-Net's layout (``licence``, ``converted_by``,
string channel keys, int label values) and never appears half-written.

Example:
    >>> import json, tempfile
    >>> path = write_dataset_json(tempfile.mkdtemp(), {0: "CT"}, {"background": 0, "lesion": 1}, 10, ".nii.gz")
    >>> json.loads(path.read_text())["channel_names"]
    {'0': 'CT'}
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Mapping, Union

from nnunetv2.dataset_conversion.generate_dataset_json import generate_dataset_json

PathLike = Union[str, Path]
DATASET_JSON = "dataset.json"


def write_dataset_json(out_dir: PathLike, channel_names: Mapping, labels: Mapping[str, Any], num_training: int,
                       file_ending: str, **fields: Any) -> Path:
    """Write ``out_dir/dataset.json`` atomically and return its path.

    Args:
        out_dir: the raw dataset folder (created if missing).
        channel_names: ``{0: "CT"}`` etc. (keys become strings).
        labels: nnU-Net label mapping, ``{"background": 0, ...}``.
        num_training: ``numTraining``, the number of training cases.
        file_ending: image file ending, e.g. ``.nii.gz``.
        **fields: further arguments of nnU-Net's ``generate_dataset_json`` (``dataset_name``,
            ``description``, ``license``, ...) and extra keys such as ``segcls3d``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".tmp_dataset_json_") as tmp:
        generate_dataset_json(tmp, dict(channel_names), dict(labels), int(num_training), file_ending, **fields)
        os.replace(Path(tmp) / DATASET_JSON, out_dir / DATASET_JSON)
    return out_dir / DATASET_JSON
