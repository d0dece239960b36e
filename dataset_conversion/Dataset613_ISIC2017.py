"""ISIC 2017 skin lesions (melanoma / seborrheic keratosis / nevus) -> nnU-Net raw dataset.

    python dataset_conversion/Dataset613_ISIC2017.py \
        --images ISIC-2017_Training_Data --masks ISIC-2017_Training_Part1_GroundTruth \
        --labels ISIC-2017_Training_Part3_GroundTruth.csv \
        [--val-images ... --val-masks ... --val-labels ...] [--test-images ... --test-masks ... --test-labels ...]

Input: RGB images ``ISIC_<n>.jpg`` (``*_superpixels.png`` files are ignored), lesion masks
``ISIC_<n>_segmentation.png`` (0/255) and the ground-truth CSV (``image_id, melanoma,
seborrheic_keratosis``). Class ``nevus`` = neither. Validation images join the training set
(nnU-Net cross-validates); test images go to imagesTs/labelsTs.

Targets: as in the paper, ``--segment-positive-only melanoma`` (default) segments the lesion only
for melanoma-positive images (label ``melanoma`` = 1, empty mask otherwise; the two other classes
are classification-only). ``--segment-positive-only none`` segments every lesion (label ``lesion``).
``--three-class-mask`` labels the lesion with its diagnosis (1 melanoma, 2 seborrheic keratosis,
3 nevus). Images keep their three colour channels.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

from segcls3d.conversion.images2d.cli import add_common_arguments, run_converter
from segcls3d.conversion.images2d.convert import Case2D
from segcls3d.conversion.images2d.file_index import index_image_files
from segcls3d.conversion.images2d.finish import Dataset2DSpec
from segcls3d.conversion.images2d.mask_io import EmptyMask, MaskFiles, MissingMask, RelabelledMask
from segcls3d.conversion.label_tables import read_label_table
from segcls3d.conversion.script_support import run_script
from segcls3d.errors import InputDataError

NAME = "Dataset613_ISIC2017"
CSV_CLASSES = ["melanoma", "seborrheic_keratosis"]
CLASSES = ["melanoma", "seborrheic_keratosis", "nevus"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for prefix, required in (("", True), ("val-", False), ("test-", False)):
        what = prefix.rstrip("-") or "training"
        parser.add_argument(f"--{prefix}images", type=Path, required=required, help=f"{what} images folder")
        parser.add_argument(f"--{prefix}masks", type=Path, required=False, help=f"{what} lesion masks folder")
        parser.add_argument(f"--{prefix}labels", type=Path, required=required, help=f"{what} ground-truth CSV")
    parser.add_argument("--segment-positive-only", choices=CLASSES + ["none"], default=None,
                        help="segment the lesion only for images positive for this class (default melanoma); "
                             "'none' segments every lesion")
    parser.add_argument("--three-class-mask", action="store_true",
                        help="label the lesion with its diagnosis: 1 melanoma, 2 seborrheic_keratosis, 3 nevus")
    parser.add_argument("--mask-suffix", default="_segmentation", help="mask name = image id + this")
    add_common_arguments(parser, NAME, default_channels="rgb")
    return parser


def diagnosis_labels(row: dict) -> dict[str, Optional[float]]:
    """melanoma / seborrheic_keratosis from the CSV, nevus = 1 when both are 0."""
    mel, sk = row.get("melanoma"), row.get("seborrheic_keratosis")
    if mel == 1.0 or sk == 1.0:
        nevus = 0.0
    elif mel == 0.0 and sk == 0.0:
        nevus = 1.0
    else:
        nevus = None
    return {"melanoma": mel, "seborrheic_keratosis": sk, "nevus": nevus}


def target(labels: dict, lesion: Optional[Path], mode: str, positive: str):
    """The mask source of one image under the chosen target rule."""
    if mode == "three-class":
        ids = [k for k, c in enumerate(CLASSES, start=1) if labels[c] == 1.0]
        value = ids[0] if len(ids) == 1 else None
    elif positive == "none":
        value = 1
    else:
        flag = labels[positive]
        value = None if flag is None else (1 if flag == 1.0 else 0)
    if value is None:
        return MissingMask("diagnosis unknown, so the target mask is undefined")
    if value == 0:
        return EmptyMask()
    if lesion is None:
        return MissingMask("no lesion mask file found")
    return RelabelledMask(MaskFiles((str(lesion),)), value)


def collect_split(images_dir: Path, masks_dir: Optional[Path], labels_csv: Path, split: str, mode: str,
                  positive: str, mask_suffix: str) -> list[Case2D]:
    table = read_label_table(labels_csv, CSV_CLASSES, id_column="image_id")
    images = index_image_files(images_dir, ignore_endings=("_superpixels",))
    masks = index_image_files(masks_dir, strip_suffix=mask_suffix) if masks_dir else {}
    if split == "train" and not masks_dir:
        raise InputDataError(f"{images_dir}: training images need --masks")
    cases = []
    for image_id in sorted(set(table) | set(images)):
        image = images.get(image_id)
        if image_id not in table:
            no_row = MissingMask(f"no row in {labels_csv}")
            cases.append(Case2D(image_id, str(image), no_row, {c: None for c in CLASSES}, split))
            continue
        labels = diagnosis_labels(table[image_id])
        mask = target(labels, masks.get(image_id), mode, positive) if (masks_dir or split == "train") else None
        cases.append(Case2D(image_id, str(image) if image else None, mask, labels, split))
    return cases


def dataset_spec(mode: str, positive: str) -> Dataset2DSpec:
    if mode == "three-class":
        labels = {"background": 0, **{c: k for k, c in enumerate(CLASSES, start=1)}}
        block = None
    elif positive == "none":
        labels = {"background": 0, "lesion": 1}
        block = {"classes": {c: [] for c in CLASSES}}
    else:
        labels = {"background": 0, positive: 1}
        block = {"classes": {c: ([1] if c == positive else []) for c in CLASSES}}
    return Dataset2DSpec(labels=labels, classes=list(CLASSES), class_block=block,
                         description=f"ISIC 2017 lesions, target: {mode} ({positive})")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.three_class_mask and args.segment_positive_only is not None:
        raise InputDataError("--three-class-mask and --segment-positive-only exclude each other")
    mode = "three-class" if args.three_class_mask else "positive-only"
    positive = args.segment_positive_only or "melanoma"
    cases = collect_split(args.images, args.masks, args.labels, "train", mode, positive, args.mask_suffix)
    for prefix in ("val", "test"):
        images, labels = getattr(args, f"{prefix}_images"), getattr(args, f"{prefix}_labels")
        if (images is None) != (labels is None):
            raise InputDataError(f"--{prefix}-images and --{prefix}-labels go together")
        if images is not None:
            split = "train" if prefix == "val" else "test"
            cases += collect_split(images, getattr(args, f"{prefix}_masks"), labels, split, mode, positive,
                                   args.mask_suffix)
    return run_converter(args, cases, dataset_spec(mode, positive), NAME)


if __name__ == "__main__":
    sys.exit(run_script(main))
