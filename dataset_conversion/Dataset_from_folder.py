"""Generic 2D dataset: a folder of images, a folder of masks and a labels CSV -> nnU-Net raw dataset.

    python dataset_conversion/Dataset_from_folder.py --images imgs --masks masks --labels labels.csv \
        --name Dataset900_MyData [--label-names lesion] [--test-images ti --test-masks tm] [-np 4]

Images: PNG/JPEG/TIFF, DICOM or single-slice NIfTI/NRRD, each written as a single-slice volume
(RGB keeps three channel files, see ``--channels``). Masks: same stem as the image (plus
``--mask-suffix``), any of those formats. Labels CSV: ``case_id`` plus one 0/1/empty column per
image-level class (validated with ``segcls3d.labels.CaseLabels``); an optional ``--group-column``
(e.g. ``patient_id``) groups the cross-validation splits. Label ids 1..K of the masks are named by
``--label-names`` (default: the class columns); a class without a label of its name is
classification-only.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from segcls3d.conversion.images2d.cli import add_common_arguments, run_converter
from segcls3d.conversion.images2d.convert import Case2D
from segcls3d.conversion.images2d.file_index import index_image_files
from segcls3d.conversion.images2d.finish import Dataset2DSpec
from segcls3d.conversion.images2d.mask_io import EmptyMask, MaskFiles, MissingMask
from segcls3d.conversion.images2d.reading import IMAGE_SUFFIXES
from segcls3d.conversion.label_tables import read_csv_rows
from segcls3d.conversion.script_support import output_dir, run_script
from segcls3d.errors import InputDataError, LabelFileError
from segcls3d.labels import CaseLabels


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=Path, required=True, help="training images folder")
    parser.add_argument("--masks", type=Path, required=True, help="training masks folder (same stems)")
    parser.add_argument("--labels", type=Path, required=True, help="CSV: case_id + one 0/1/empty column per class")
    parser.add_argument("--name", required=True, help="dataset folder name, e.g. Dataset900_MyData")
    parser.add_argument("--label-names", nargs="+", default=None,
                        help="names of mask label ids 1..K (default: the class columns of --labels)")
    parser.add_argument("--classes", nargs="+", default=None, help="class columns to use (default: all)")
    parser.add_argument("--group-column", default=None, help="CSV column with patient ids for grouped splits")
    parser.add_argument("--mask-suffix", default="", help="mask file name = image stem + this (e.g. _mask)")
    parser.add_argument("--mask-values", choices=("auto", "binary", "labels"), default="auto",
                        help="binary: non-zero = label 1 (0/255 masks); labels: pixel values are label ids; "
                             "auto: binary when there is one label name")
    parser.add_argument("--empty-missing-masks", action="store_true",
                        help="a training image without a mask file gets an empty mask (default: it is skipped)")
    parser.add_argument("--test-images", type=Path, default=None, help="test images folder (imagesTs)")
    parser.add_argument("--test-masks", type=Path, default=None, help="test masks folder (labelsTs), optional")
    parser.add_argument("--channel-name", default="image",
                        help="name of a gray channel in dataset.json ('CT' selects nnU-Net's CT normalization)")
    add_common_arguments(parser, "DatasetXXX_Name")
    return parser


def read_classes(labels_csv: Path, classes: list[str] | None, group_column: str | None) -> list[str]:
    """Class columns of the labels CSV (all but case_id and the group column unless ``classes`` given)."""
    header, _ = read_csv_rows(labels_csv)
    if "case_id" not in header:
        raise LabelFileError(f"{labels_csv}: no 'case_id' column (header is {header})")
    if group_column and group_column not in header:
        raise LabelFileError(f"{labels_csv}: no '{group_column}' column for --group-column (header is {header})")
    found = [h for h in header if h not in ("case_id", group_column)]
    chosen = classes or found
    if not chosen:
        raise LabelFileError(f"{labels_csv}: no class columns besides case_id")
    return chosen


def read_groups(labels_csv: Path, group_column: str | None) -> dict[str, str | None]:
    if not group_column:
        return {}
    _, rows = read_csv_rows(labels_csv)
    return {row["case_id"]: (row[group_column] or None) for row in rows}


def mask_source(mask_index: dict[str, Path], case_id: str, binary: bool, max_label: int, empty_if_missing: bool):
    path = mask_index.get(case_id)
    if path is not None:
        return MaskFiles((str(path),), binary=binary, max_label=max_label)
    if empty_if_missing:
        return EmptyMask()
    return MissingMask("no mask file found (use --empty-missing-masks for negatives)")


def collect_cases(args: argparse.Namespace, classes: list[str], label_names: list[str]) -> list[Case2D]:
    """One Case2D per image of --images (train) and --test-images (test)."""
    suffixes = IMAGE_SUFFIXES + ("",)
    train_images = index_image_files(args.images, suffixes=suffixes)
    if not train_images:
        raise InputDataError(f"{args.images}: no image files found")
    test_images = index_image_files(args.test_images, suffixes=suffixes) if args.test_images else {}
    both = sorted(set(train_images) & set(test_images))
    if both:
        raise InputDataError(f"case(s) {both[:5]} are both in --images and --test-images")
    labels = CaseLabels.load(args.labels, classes, known_cases=set(train_images) | set(test_images),
                             required_cases=train_images)
    groups = read_groups(args.labels, args.group_column)
    binary = args.mask_values == "binary" or (args.mask_values == "auto" and len(label_names) == 1)
    masks = index_image_files(args.masks, strip_suffix=args.mask_suffix, suffixes=suffixes)
    test_masks = index_image_files(args.test_masks, strip_suffix=args.mask_suffix, suffixes=suffixes) \
        if args.test_masks else {}

    cases = []
    for split, images, mask_index in (("train", train_images, masks), ("test", test_images, test_masks)):
        for case_id, image in sorted(images.items()):
            if split == "train":
                source = mask_source(mask_index, case_id, binary, len(label_names), args.empty_missing_masks)
            else:
                source = MaskFiles((str(mask_index[case_id]),), binary=binary, max_label=len(label_names)) \
                    if case_id in mask_index else None
            values = labels.get(case_id)
            case_labels = {c: (None if v != v else float(v)) for c, v in zip(classes, values.tolist())}
            cases.append(Case2D(case_id, str(image), source, case_labels, split, groups.get(case_id)))
    return cases


def dataset_spec(classes: list[str], label_names: list[str], channel_name: str) -> Dataset2DSpec:
    labels = {"background": 0, **{name: k for k, name in enumerate(label_names, start=1)}}
    block = None
    if set(classes) != set(label_names):
        block = {"classes": {c: ([labels[c]] if c in labels and c != "background" else []) for c in classes}}
    return Dataset2DSpec(labels=labels, classes=classes, class_block=block, gray_channel_name=channel_name,
                         description="2D images as single-slice volumes (segcls3d Dataset_from_folder)")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    classes = read_classes(args.labels, args.classes, args.group_column)
    label_names = args.label_names or classes
    if "background" in label_names or len(set(label_names)) != len(label_names):
        raise InputDataError(f"--label-names {label_names}: names must be unique and not 'background'")
    output_dir(args.out, args.name)  # fail early without an output folder
    cases = collect_cases(args, classes, label_names)
    return run_converter(args, cases, dataset_spec(classes, label_names, args.channel_name), args.name)


if __name__ == "__main__":
    sys.exit(run_script(main))
