"""RSNA 2022 Cervical Spine Fracture Detection -> nnU-Net raw dataset (the paper's SPINE).

Targets: for a fractured study the fractured vertebrae C1..C7 (label 1, or one label per level
with --per-vertebra); negative studies are all background. Vertebra masks come from
--vertebrae-from (TotalSegmentator `total` outputs), the competition's segmentations/ folder, or a
TotalSegmentator run (weights must be installed). Image-level labels: patient_overall, C1..C7.

    python Dataset601_RSNACervicalSpine.py /data/rsna-2022-cervical-spine-fracture-detection -np 4
    # on a cluster: one job per shard, then the merge step
    python Dataset601_RSNACervicalSpine.py IN --shard 3/16 ; ... ; python Dataset601_RSNACervicalSpine.py IN --merge
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from segcls3d.conversion.ct.rsna_spine import rsna_cases
from segcls3d.conversion.ct.vertebra_cases import TOTALSEG_CACHE_DIRNAME, ConversionOptions, VertebraeSource
from segcls3d.conversion.ct.vertebra_dataset import convert_vertebra_dataset
from segcls3d.conversion.ct.vertebra_targets import target_spec
from segcls3d.conversion.ct.vertebrae import CERVICAL
from segcls3d.conversion.script_support import (
    add_output_argument,
    add_runner_arguments,
    add_vertebra_arguments,
    exit_code,
    output_dir,
    run_script,
)

DATASET_NAME = "Dataset601_RSNACervicalSpine"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("competition_dir", type=Path, help="folder with train.csv and train_images/")
    add_output_argument(parser, DATASET_NAME)
    add_vertebra_arguments(parser, "<StudyUID>.nii.gz", "C1..C7")
    parser.add_argument(
        "--bbox-slices",
        action="store_true",
        help="restrict targets to slices with boxes in train_bounding_boxes.csv (where a study has boxes)",
    )
    add_runner_arguments(parser)
    args = parser.parse_args(argv)

    out_dir = output_dir(args.out, DATASET_NAME)
    cases = rsna_cases(args.competition_dir, use_bounding_boxes=args.bbox_slices)
    segmentations = args.competition_dir / "segmentations"
    source = VertebraeSource(
        precomputed_dir=args.vertebrae_from,
        rsna_dir=segmentations if segmentations.is_dir() else None,
        cache_dir=out_dir / TOTALSEG_CACHE_DIRNAME,
        totalseg_fast=args.totalseg_fast,
        device=args.device,
        totalseg_levels=CERVICAL,
    )
    options = ConversionOptions(
        spec=target_spec(CERVICAL, overall_name="patient_overall", per_vertebra=args.per_vertebra),
        bbox_slices=args.bbox_slices,
        paper_preprocessing=args.paper_preprocessing,
    )
    results = convert_vertebra_dataset(
        cases,
        out_dir,
        source=source,
        options=options,
        dataset_name=DATASET_NAME,
        description="RSNA 2022 Cervical Spine Fracture Detection; targets = fractured vertebrae",
        num_processes=args.num_processes,
        shard=args.shard,
        merge=args.merge,
    )
    return exit_code(results)


if __name__ == "__main__":
    sys.exit(run_script(main))
