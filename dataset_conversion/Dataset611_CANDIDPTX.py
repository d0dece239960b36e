"""CANDID-PTX (Feng et al. 2021): chest radiographs with pneumothorax masks -> nnU-Net raw dataset.

    python dataset_conversion/Dataset611_CANDIDPTX.py --images candid_ptx/dataset \
        --reports candid_ptx/Pneumothorax_reports.csv [-o $nnUNet_raw/Dataset611_CANDIDPTX] [-np 8]

Input: the image folder (DICOM files named by SOPInstanceUID, with or without ``.dcm``, searched
recursively; PNG/JPEG copies work too) and ``Pneumothorax_reports.csv`` (``SOPInstanceUID``,
``EncodedPixels``, ``filename`` = ``P<patient>_...``). ``EncodedPixels`` uses the SIIM-ACR
encoding (relative offsets, column-major; ``-1`` = no pneumothorax; several rows = union); use
``--rle-format absolute`` for standard Kaggle RLE, or ``--masks DIR`` for PNG masks named by SOP.

Output: one single-slice volume per image, label 1 = pneumothorax (negatives: empty mask), class
``pneumothorax`` in classification_labels.csv, splits_final.json grouped by patient.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from segcls3d.conversion.images2d.cli import add_common_arguments, run_converter
from segcls3d.conversion.images2d.file_index import index_image_files
from segcls3d.conversion.images2d.finish import Dataset2DSpec
from segcls3d.conversion.images2d.pneumothorax import CLASS_NAME, rle_cases
from segcls3d.conversion.images2d.reading import IMAGE_SUFFIXES
from segcls3d.conversion.label_tables import clean_image_id, read_csv_rows, read_rle_csv
from segcls3d.conversion.script_support import run_script

logger = logging.getLogger("Dataset611_CANDIDPTX")
NAME = "Dataset611_CANDIDPTX"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=Path, required=True, help="folder with the radiographs (recursive)")
    parser.add_argument("--reports", type=Path, required=True, help="Pneumothorax_reports.csv")
    parser.add_argument("--rle-format", choices=("relative", "absolute"), default="relative",
                        help="EncodedPixels flavour (default relative = SIIM-ACR style)")
    parser.add_argument("--masks", type=Path, default=None,
                        help="folder of mask images named by SOPInstanceUID, used instead of the RLE")
    parser.add_argument("--mask-suffix", default="", help="mask file name = SOPInstanceUID + this")
    add_common_arguments(parser, NAME, default_channels="gray")
    return parser


def patient_groups(reports: Path) -> dict[str, str]:
    """SOPInstanceUID -> patient (the ``P<id>`` prefix of the ``filename`` column), when present."""
    header, rows = read_csv_rows(reports)
    if "filename" not in header:
        logger.warning("%s: no 'filename' column; splits are not grouped by patient", reports)
        return {}
    groups = {}
    for row in rows:
        sop = clean_image_id(row["SOPInstanceUID"])
        if row["filename"]:
            groups[sop] = row["filename"].split("_", 1)[0]
    return groups


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    rle_table = read_rle_csv(args.reports, "SOPInstanceUID")
    images = index_image_files(args.images, recursive=True, suffixes=IMAGE_SUFFIXES + ("",))
    masks = index_image_files(args.masks, strip_suffix=args.mask_suffix) if args.masks else None
    cases, unlisted = rle_cases(rle_table, images, relative=args.rle_format == "relative",
                                groups=patient_groups(args.reports), mask_index=masks)
    if unlisted:
        logger.warning("%d image(s) in %s have no row in %s and are left out", unlisted, args.images, args.reports)
    spec = Dataset2DSpec(labels={"background": 0, CLASS_NAME: 1}, classes=[CLASS_NAME], gray_channel_name="xray",
                         description="CANDID-PTX pneumothorax (2D single-slice volumes)")
    return run_converter(args, cases, spec, NAME)


if __name__ == "__main__":
    sys.exit(run_script(main))
