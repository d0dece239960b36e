"""`segcls3d synth`: write the synthetic find-the-target task as an nnU-Net raw dataset."""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

DESCRIPTION = """\
Generate the synthetic task of Hooper et al. 2023 (Sec. 4.1, App. A4) in 3D, or in 2D as
single-slice volumes: find a small ball (disc) of one intensity among distractor objects that share
its shape or its intensity. Knobs change the training split only; the test split is unbiased.
Writes imagesTr/labelsTr/imagesTs/labelsTs, dataset.json, classification_labels.csv,
synth_metadata.csv and synth_config.json. Rerunning the same command resumes."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``synth`` command."""
    p = subparsers.add_parser(
        "synth",
        help="generate the synthetic find-the-target dataset (nnU-Net raw format)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = p.add_argument
    add("--out", required=True, type=Path, help="raw dataset folder, e.g. $nnUNet_raw/Dataset901_Synth")
    add("--dim", type=int, default=3, choices=(2, 3), help="3 = volumes, 2 = single-slice images (default 3)")
    add("--shape", type=int, nargs="+", metavar="N", help="array size, z y x or y x (default 48 48 48; 2D 96 96)")
    add("--spacing", type=float, nargs="+", metavar="MM", help="voxel spacing in --shape order (default 1 ...)")
    add("--n-train", type=int, default=100, help="training cases (default 100)")
    add("--n-test", type=int, default=100, help="test cases (default 100)")
    add("--prevalence", type=float, default=0.5, help="p_pos, fraction of positive training cases (default 0.5)")
    add("--test-prevalence", type=float, default=0.5, help="fraction of positive test cases (default 0.5)")
    add("--target-size", type=float, default=3.0, help="target radius in voxels of the finest axis (default 3)")
    add(
        "--size-bias", type=float, default=0.0,
        help="0..1: share of training targets drawn medium (1.5x) or large (2x) instead of small; "
        "test targets are always small (default 0)",
    )
    add(
        "--spurious", type=float, default=0.5,
        help="p_spur of training: the spurious cube is present iff the case is positive with this probability "
        "(0.5 = independent, 1 = perfect correlate); test uses 0.5 (default 0.5)",
    )
    add("--spurious-size", type=float, help="radius of the spurious cube in voxels (default 2.5 x --target-size)")
    add(
        "--location-bias", type=float, default=0.0,
        help="0 = training targets anywhere, 1 = always at the volume centre, between = a shrinking central "
        "region; test targets anywhere (default 0)",
    )
    add("--n-objects", type=int, help="objects per case incl. target and spurious cube (default 100; 2D 50)")
    add("--distractor-kinds", type=int, default=8, help="(shape, intensity) distractor kinds, hardest first (def. 8)")
    add("--noise", type=float, default=20.0, help="Gaussian noise sd; the target's contrast is 100 (default 20)")
    add("--seed", type=int, default=0, help="random seed (default 0)")
    add("--dataset-name", default="SegCls3DSynth", help="name stored in dataset.json")
    add("--overwrite", action="store_true", help="replace a dataset made with other parameters in --out")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the config, generate the dataset and print a one-line summary per split."""
    # numpy and SimpleITK: imported here so that `segcls3d --help` stays fast (see cli.main)
    from segcls3d.synth import SynthConfig, generate_dataset
    from segcls3d.synth.writer import METADATA_FILENAME

    config = SynthConfig(
        dim=args.dim,
        shape=tuple(args.shape) if args.shape else None,
        spacing=tuple(args.spacing) if args.spacing else None,
        n_train=args.n_train,
        n_test=args.n_test,
        prevalence=args.prevalence,
        test_prevalence=args.test_prevalence,
        target_size=args.target_size,
        size_bias=args.size_bias,
        spurious=args.spurious,
        spurious_size=args.spurious_size,
        location_bias=args.location_bias,
        n_objects=args.n_objects,
        distractor_kinds=args.distractor_kinds,
        noise=args.noise,
        seed=args.seed,
        dataset_name=args.dataset_name,
    )
    out = generate_dataset(config, args.out, overwrite=args.overwrite)
    with (out / METADATA_FILENAME).open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for split in ("train", "test"):
        labels = [int(r["label"]) for r in rows if r["split"] == split]
        spurious = [int(r["spurious_present"]) for r in rows if r["split"] == split]
        print(f"{split:5s}: {len(labels)} cases, {sum(labels)} positive, {sum(spurious)} with the spurious object")
    print(f"dataset: {out}")
    return 0
