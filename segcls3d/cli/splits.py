"""`segcls3d splits`: cross-validation folds stratified by the image-level labels (nnU-Net's splits_final.json)."""
from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "splits", help="write splits_final.json stratified by the image-level labels (grouped by patient)",
        description="Write nnU-Net's splits_final.json for a preprocessed dataset with folds stratified by the "
                    "image-level labels (classification_labels.csv, else the masks), so that every validation fold "
                    "holds positive cases, and grouped by patient with --groups. An existing file is kept unless "
                    "--overwrite. Our trainers write the same folds (ungrouped) themselves when the file is "
                    "missing; run this command first to group by patient or to choose the folds.")
    p.add_argument("-d", "--dataset", required=True, help="dataset name or id in nnUNet_preprocessed")
    p.add_argument("-p", "--plans", default="nnUNetPlans", help="plans identifier (default nnUNetPlans)")
    p.add_argument("-c", "--configuration", default=None,
                   help="configuration whose preprocessed cases are split (default: the first preprocessed one)")
    p.add_argument("--groups", type=Path, default=None,
                   help="CSV with columns case_id and group (e.g. patient id): a group never spans folds")
    p.add_argument("--folds", type=int, default=5, help="number of folds (default 5, as nnU-Net)")
    p.add_argument("--seed", type=int, default=12345, help="shuffling seed (default 12345, as nnU-Net)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing splits_final.json")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from segcls3d.errors import SegCls3dError
    from segcls3d.plans.presets import resolve_preprocessed_dataset
    from segcls3d.training.splits import write_dataset_splits

    if args.folds < 2:
        raise SegCls3dError(f"--folds must be at least 2, got {args.folds}")
    folder = resolve_preprocessed_dataset(args.dataset)
    path, written = write_dataset_splits(folder, args.plans, args.configuration, args.groups, args.folds, args.seed,
                                         args.overwrite)
    print(f"wrote {path}" if written else f"kept the existing {path} (use --overwrite to replace it)")
    return 0
