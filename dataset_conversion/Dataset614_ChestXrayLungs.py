"""Chest X-ray lungs with normal/abnormal labels (JSRT, Montgomery, Shenzhen; MultiMix's data).

    # Montgomery: left and right lung masks are merged into one "lung" label
    python dataset_conversion/Dataset614_ChestXrayLungs.py --images MontgomerySet/CXR_png \
        --masks MontgomerySet/ManualMask/leftMask --masks MontgomerySet/ManualMask/rightMask
    # Shenzhen (masks named <image>_mask.png) plus JSRT (labels from a CSV), one dataset
    python dataset_conversion/Dataset614_ChestXrayLungs.py --images ChinaSet/CXR_png --images JSRT/images \
        --masks ChinaSet/mask --masks JSRT/masks --mask-suffix _mask --labels jsrt_labels.csv

Input: image folders (PNG/JPEG/DICOM, repeat ``--images``), lung mask folders (repeat ``--masks``;
all files of a case in these folders are merged, e.g. left + right lung), optional labels CSV
(``case_id, abnormal``). Without a CSV row the label comes from the Montgomery/Shenzhen file
name suffix ``_0`` (normal) / ``_1`` (abnormal), else it is unknown (empty cell).

Output: label 1 = lung; class ``abnormal`` is classification-only (``"segcls3d": {"classes":
{"abnormal": []}}``). Images without a lung mask are skipped, or with ``--missing-mask ignore``
kept with an all-``ignore`` mask (label 2) so that classification-only images join the dataset.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Optional

from segcls3d.conversion.images2d.cli import add_common_arguments, run_converter
from segcls3d.conversion.images2d.convert import Case2D
from segcls3d.conversion.images2d.file_index import index_image_files
from segcls3d.conversion.images2d.finish import Dataset2DSpec
from segcls3d.conversion.images2d.mask_io import FilledMask, MaskFiles, MissingMask, RelabelledMask
from segcls3d.conversion.images2d.reading import IMAGE_SUFFIXES
from segcls3d.conversion.label_tables import read_label_table
from segcls3d.conversion.script_support import run_script
from segcls3d.errors import InputDataError

NAME = "Dataset614_ChestXrayLungs"
CLASS_NAME = "abnormal"
LUNG, IGNORE = 1, 2
_NAME_LABEL = re.compile(r"_([01])$")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=Path, action="append", required=True, help="image folder (repeatable)")
    parser.add_argument("--masks", type=Path, action="append", default=[], help="lung mask folder (repeatable)")
    parser.add_argument("--mask-suffix", default="", help="mask name = image stem + this (Shenzhen: _mask)")
    parser.add_argument("--labels", type=Path, default=None, help="CSV with a case id column and 'abnormal'")
    parser.add_argument("--id-column", default="case_id", help="case id column of --labels (default case_id)")
    parser.add_argument("--no-name-labels", action="store_true",
                        help="do not read normal/abnormal from the _0/_1 file name suffix")
    parser.add_argument("--missing-mask", choices=("skip", "ignore"), default="skip",
                        help="images without a lung mask: skip them (default) or label them all 'ignore'")
    add_common_arguments(parser, NAME, default_channels="gray")
    return parser


def name_label(case_id: str) -> Optional[float]:
    """Montgomery/Shenzhen: ``MCUCXR_0001_0`` -> 0.0 (normal), ``CHNCXR_0400_1`` -> 1.0 (abnormal)."""
    match = _NAME_LABEL.search(case_id)
    return float(match.group(1)) if match else None


def collect_cases(args: argparse.Namespace) -> list[Case2D]:
    images: dict[str, Path] = {}
    for folder in args.images:
        for case_id, path in index_image_files(folder, suffixes=IMAGE_SUFFIXES + ("",)).items():
            if case_id in images:
                raise InputDataError(f"case '{case_id}' is in two image folders: {images[case_id]} and {path}")
            images[case_id] = path
    if not images:
        raise InputDataError(f"{[str(f) for f in args.images]}: no image files found")
    mask_indexes = [index_image_files(f, strip_suffix=args.mask_suffix) for f in args.masks]
    table = read_label_table(args.labels, [CLASS_NAME], id_column=args.id_column) if args.labels else {}
    cases = []
    for case_id, image in sorted(images.items()):
        files = tuple(str(index[case_id]) for index in mask_indexes if case_id in index)
        if files:
            mask = RelabelledMask(MaskFiles(files), LUNG)
        elif args.missing_mask == "ignore":
            mask = FilledMask(IGNORE)
        else:
            mask = MissingMask("no lung mask file found (use --missing-mask ignore to keep the image)")
        label = table[case_id][CLASS_NAME] if case_id in table else None
        if label is None and case_id not in table and not args.no_name_labels:
            label = name_label(case_id)
        cases.append(Case2D(case_id, str(image), mask, {CLASS_NAME: label}))
    return cases


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    labels = {"background": 0, "lung": LUNG}
    if args.missing_mask == "ignore":
        labels["ignore"] = IGNORE
    spec = Dataset2DSpec(labels=labels, classes=[CLASS_NAME], class_block={"classes": {CLASS_NAME: []}},
                         gray_channel_name="xray", description="Chest X-ray lungs, normal/abnormal (2D single slices)")
    return run_converter(args, collect_cases(args), spec, NAME)


if __name__ == "__main__":
    sys.exit(run_script(main))
