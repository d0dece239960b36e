"""generate_dataset: a complete, resumable nnU-Net raw dataset of the synthetic task.

Re-running with the same config into the same folder keeps the files already there (cases are
regenerated in memory, which is cheap, for the CSVs); a different config into a non-empty folder
is refused unless ``overwrite=True``.

Example:
    >>> from segcls3d.synth import SynthConfig, generate_dataset  # doctest: +SKIP
    >>> generate_dataset(SynthConfig(dim=2, n_train=20, n_test=10), Path("Dataset901_Synth"))  # doctest: +SKIP
"""
from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any, Union

from tqdm import tqdm

from segcls3d.io.records import RecordFolder, changed_keys
from segcls3d.labels import LABELS_FILENAME
from segcls3d.synth.config import GENERATOR_VERSION, SynthConfig, SynthConfigError
from segcls3d.synth.generator import generate_case
from segcls3d.synth.kinds import BACKGROUND_LEVEL, distractor_kinds, spurious_kind, target_kind
from segcls3d.synth.writer import (
    CONFIG_FILENAME,
    METADATA_FILENAME,
    SPLIT_FOLDERS,
    SynthWriteError,
    metadata_row,
    write_case,
    write_labels,
    write_metadata,
    write_synth_dataset_json,
)

logger = logging.getLogger(__name__)

OUTPUT_FILES = ("dataset.json", LABELS_FILENAME, METADATA_FILENAME, CONFIG_FILENAME)
OUTPUT_FOLDERS = tuple(f for pair in SPLIT_FOLDERS.values() for f in pair)


def config_record(config: SynthConfig) -> dict[str, Any]:
    """Content of synth_config.json: the parameters plus what they imply (for readers)."""
    return {
        "generator_version": GENERATOR_VERSION,
        "config": config.to_dict(),
        "derived": {
            "target": target_kind(config.dim).name,
            "distractor_kinds": [k.name for k in distractor_kinds(config.dim, config.distractor_kinds)],
            "spurious_object": spurious_kind(config.dim).name,
            "background_level": BACKGROUND_LEVEL,
        },
    }


def prepare_output_dir(config: SynthConfig, out_dir: Path, overwrite: bool = False) -> None:
    """Check ``out_dir`` against ``config``; clear it if asked; write synth_config.json.

    Raises:
        SynthConfigError: ``out_dir`` is a file, or a non-empty folder made with other parameters
            (or not by this generator) and ``overwrite`` is False.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise SynthConfigError(f"{out_dir}: exists and is not a folder")
    record = config_record(config)
    settings = RecordFolder(out_dir, settings_file=out_dir / CONFIG_FILENAME)
    existing = sorted(p.name for p in out_dir.iterdir()) if out_dir.is_dir() else []
    if existing:
        previous = settings.read_settings()
        same = previous is not None and {k: previous.get(k) for k in ("generator_version", "config")} == {
            k: record[k] for k in ("generator_version", "config")
        }
        if overwrite:
            _clear(out_dir)
        elif same:
            logger.info("%s: same parameters as before, resuming (existing cases are kept)", out_dir)
        elif previous is None:
            raise SynthConfigError(
                f"{out_dir}: folder is not empty ({', '.join(existing[:5])}) and has no {CONFIG_FILENAME}; "
                "choose an empty --out or pass --overwrite to replace the dataset files in it"
            )
        else:
            changes = _differences(previous.get("config", {}), record["config"])
            raise SynthConfigError(
                f"{out_dir}: holds a synthetic dataset made with other parameters ({changes}); "
                "choose another --out, rerun with the same parameters to resume, or pass --overwrite"
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    for folder in OUTPUT_FOLDERS:  # leftovers of an interrupted atomic write would look like cases
        for stale in (out_dir / folder).glob(".tmp_*"):
            stale.unlink()
    settings.write_settings(record)


def generate_dataset(
    config: SynthConfig, out_dir: Union[str, Path], overwrite: bool = False, progress: bool = True
) -> Path:
    """Generate train and test cases and write the complete raw dataset into ``out_dir``.

    Writes imagesTr/labelsTr/imagesTs/labelsTs, dataset.json, classification_labels.csv (train and
    test cases, class ``target``), synth_metadata.csv and synth_config.json.

    Raises:
        SynthConfigError: see :func:`prepare_output_dir`.
        SynthWriteError: some cases could not be written (rerun to resume).
    """
    out_dir = Path(out_dir)
    prepare_output_dir(config, out_dir, overwrite)
    jobs = [("train", i) for i in range(config.n_train)] + [("test", i) for i in range(config.n_test)]
    rows, labels, failures, written = [], {}, [], 0
    for split, index in tqdm(jobs, desc="synth", unit="case", disable=not progress or None):
        case = generate_case(config, split, index)
        try:
            written += write_case(case, config, out_dir)
        except OSError as exc:
            logger.error("%s: could not write case %s: %s", out_dir, case.case_id, exc)
            failures.append(case.case_id)
            continue
        rows.append(metadata_row(case))
        labels[case.case_id] = case.label
    if failures:
        raise SynthWriteError(
            f"{out_dir}: {len(failures)} case(s) could not be written ({', '.join(failures[:5])}); "
            "fix the cause and rerun the same command to resume"
        )
    write_synth_dataset_json(out_dir, config)
    write_labels(out_dir, labels)
    write_metadata(out_dir / METADATA_FILENAME, rows)
    logger.info("%s: %d cases (%d written, %d kept)", out_dir, len(jobs), written, len(jobs) - written)
    return out_dir


def _clear(out_dir: Path) -> None:
    logger.warning("%s: --overwrite, removing the previous dataset files", out_dir)
    for name in OUTPUT_FOLDERS:
        if (out_dir / name).is_dir():
            shutil.rmtree(out_dir / name)
    for name in OUTPUT_FILES:
        if (out_dir / name).is_file():
            (out_dir / name).unlink()


def _differences(old: dict[str, Any], new: dict[str, Any]) -> str:
    changed = [f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in changed_keys(old, new)]
    return "; ".join(changed) or "generator version changed"
