"""CT folder + table of per-vertebra-level labels -> nnU-Net raw dataset (general vertebra converter).

The table has a case column, optionally a group (patient) column, and one column per vertebra
level named like TotalSegmentator (T12 or vertebrae_T12; C1..C7, T1..T12, L1..L5, S1, sacrum).
Cells are numbers binarized with --threshold (e.g. VerSe Genant grades 0-3: --threshold 1) or
empty (unknown). CTs: <ct_dir>/<case>.nii.gz (.nii, .mha, .nrrd, _0000.nii.gz) or DICOM folders
<ct_dir>/<case>/. Targets: the positive vertebrae (label 1, or one label per level with
--per-vertebra); image-level classes: the overall class (--overall-name) and one per level.

    python Dataset602_VertebraLevelLabels.py cts/ verse_grades.csv --threshold 1 --vertebrae-from totalseg/
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from segcls3d.conversion.ct.vertebra_cases import TOTALSEG_CACHE_DIRNAME, ConversionOptions, VertebraeSource
from segcls3d.conversion.ct.vertebra_dataset import convert_vertebra_dataset
from segcls3d.conversion.ct.vertebra_table import level_table_cases
from segcls3d.conversion.ct.vertebra_targets import target_spec
from segcls3d.conversion.script_support import (
    add_output_argument,
    add_runner_arguments,
    add_vertebra_arguments,
    exit_code,
    output_dir,
    run_script,
)

DATASET_NAME = "Dataset602_VertebraLevelLabels"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ct_dir", type=Path, help="folder of CT images or DICOM series folders")
    parser.add_argument("labels_csv", type=Path, help="table of per-vertebra-level labels")
    add_output_argument(parser, DATASET_NAME)
    parser.add_argument("--dataset-name", default=DATASET_NAME, help=f"nnU-Net dataset name (default {DATASET_NAME})")
    parser.add_argument("--case-column", default="case_id", help="case id column (default case_id)")
    parser.add_argument("--group-column", default=None, help="patient/group column for the splits (default: case)")
    parser.add_argument("--threshold", type=float, default=1.0, help="a cell >= threshold is positive (default 1)")
    parser.add_argument(
        "--overall-name", default="any_fracture", help="name of the overall class (default any_fracture)"
    )
    add_vertebra_arguments(parser, "<case>.nii.gz", "")
    add_runner_arguments(parser)
    args = parser.parse_args(argv)

    out_dir = output_dir(args.out, args.dataset_name)
    levels, cases = level_table_cases(args.ct_dir, args.labels_csv, args.case_column, args.group_column, args.threshold)
    source = VertebraeSource(
        precomputed_dir=args.vertebrae_from,
        cache_dir=out_dir / TOTALSEG_CACHE_DIRNAME,
        totalseg_fast=args.totalseg_fast,
        device=args.device,
        totalseg_levels=tuple(levels),
    )
    options = ConversionOptions(
        spec=target_spec(levels, overall_name=args.overall_name, per_vertebra=args.per_vertebra),
        paper_preprocessing=args.paper_preprocessing,
    )
    results = convert_vertebra_dataset(
        cases,
        out_dir,
        source=source,
        options=options,
        dataset_name=args.dataset_name,
        description=f"per-vertebra-level labels from {args.labels_csv.name}; targets = positive vertebrae",
        num_processes=args.num_processes,
        shard=args.shard,
        merge=args.merge,
    )
    return exit_code(results)


if __name__ == "__main__":
    sys.exit(run_script(main))
