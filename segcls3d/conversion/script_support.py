"""What every ``dataset_conversion/DatasetXXX_Name.py`` script shares: runner options, output
folder, logging and the one-line error for user errors.

Example script body::

    def main(argv=None) -> int:
        parser = argparse.ArgumentParser(description=...)
        add_runner_arguments(parser)
        add_output_argument(parser, "Dataset601_RSNACervicalSpine")
        args = parser.parse_args(argv)
        out_dir = output_dir(args.out, "Dataset601_RSNACervicalSpine")
        ...
        return exit_code(results)

    if __name__ == "__main__":
        sys.exit(run_script(main))
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Callable, Optional, Sequence

from segcls3d.conversion.runner import CaseResult, parse_shard
from segcls3d.errors import InputDataError, SegCls3dError


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    """``-np``, ``--shard i/n`` and ``--merge``."""
    parser.add_argument("-np", "--num-processes", type=int, default=1, help="worker processes (default 1)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--shard",
        type=parse_shard,
        default=None,
        metavar="I/N",
        help="convert only shard I of N (0-based; for cluster job arrays); then run --merge once",
    )
    group.add_argument(
        "--merge",
        action="store_true",
        help="after all shards finished: collect their records, write dataset.json, labels and splits",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")


def add_vertebra_arguments(parser: argparse.ArgumentParser, precomputed_names: str, levels: str) -> None:
    """Vertebra-target options shared by the CT converters.

    ``--vertebrae-from``, ``--totalseg-fast``, ``--device``, ``--per-vertebra`` and
    ``--paper-preprocessing``; ``precomputed_names`` and ``levels`` complete their help texts
    (e.g. ``<StudyUID>.nii.gz`` and ``C1..C7``).
    """
    parser.add_argument(
        "--vertebrae-from",
        type=Path,
        default=None,
        help=f"folder of precomputed TotalSegmentator `total` outputs {precomputed_names}",
    )
    parser.add_argument("--totalseg-fast", action="store_true", help="TotalSegmentator's fast (3 mm) model")
    parser.add_argument("--device", default="gpu", help="TotalSegmentator device: gpu, cpu, mps, gpu:1 (default gpu)")
    parser.add_argument("--per-vertebra", action="store_true", help=f"one label per vertebra level {levels}".rstrip())
    parser.add_argument(
        "--paper-preprocessing",
        action="store_true",
        help="bone window, [0,1] scaling, 128^3 around the spine (default: native resolution)",
    )


def add_output_argument(parser: argparse.ArgumentParser, dataset_name: str) -> None:
    """``-o/--out`` defaulting to ``$nnUNet_raw/<dataset_name>``."""
    parser.add_argument(
        "-o", "--out", default=None, help=f"output raw dataset folder (default: $nnUNet_raw/{dataset_name})"
    )


def output_dir(out: Optional[str], dataset_name: str) -> Path:
    """The output folder: ``out``, else ``$nnUNet_raw/<dataset_name>``.

    Raises:
        InputDataError: no ``out`` and ``nnUNet_raw`` is not set.
    """
    if out:
        return Path(out)
    from nnunetv2.paths import nnUNet_raw  # warns on import when the variables are unset; only needed here

    if not nnUNet_raw:
        raise InputDataError("nnUNet_raw is not set; give the output folder with -o/--out")
    return Path(nnUNet_raw) / dataset_name


def exit_code(results: Sequence[CaseResult]) -> int:
    """0 when every case is done, 1 when some were skipped or failed (see conversion_log/)."""
    return 0 if all(r.status == "done" for r in results) else 1


def run_script(main: Callable[[Optional[Sequence[str]]], int], argv: Optional[Sequence[str]] = None) -> int:
    """Run a script's ``main`` with logging set up; user errors become one line and exit code 2."""
    verbose = "-v" in (argv if argv is not None else sys.argv[1:]) or "--verbose" in (argv or sys.argv[1:])
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(main(argv) or 0)
    except SegCls3dError as exc:
        print(f"{Path(sys.argv[0]).name}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted (finished cases are kept; run again to resume)", file=sys.stderr)
        return 130
