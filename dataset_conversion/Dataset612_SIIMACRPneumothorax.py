"""SIIM-ACR Pneumothorax Segmentation (Kaggle 2019) -> nnU-Net raw dataset.

    python dataset_conversion/Dataset612_SIIMACRPneumothorax.py --images dicom-images-train \
        --rle train-rle.csv [-o $nnUNet_raw/Dataset612_SIIMACRPneumothorax] [-np 8]

Input: the DICOM folder (``<study>/<series>/<SOPInstanceUID>.dcm``, searched recursively) and the
RLE CSV (``ImageId, EncodedPixels``; relative offsets, column-major on 1024 x 1024, ``-1`` = no
pneumothorax, several rows per image = union). ``--rle-format absolute`` reads standard Kaggle RLE
(1-based absolute starts), for re-encoded copies such as a stage-2 CSV that uses it; a wrong
choice shows up as per-case errors (runs beyond the image, or a start of 0).

Output: single-slice volumes with label 1 = pneumothorax, class ``pneumothorax``, and
splits_final.json grouped by the DICOM PatientID.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from tqdm import tqdm

from segcls3d.conversion.images2d.cli import add_common_arguments, run_converter
from segcls3d.conversion.images2d.file_index import index_image_files
from segcls3d.conversion.images2d.finish import Dataset2DSpec
from segcls3d.conversion.images2d.pneumothorax import CLASS_NAME, rle_cases
from segcls3d.conversion.label_tables import read_rle_csv
from segcls3d.conversion.script_support import run_script

logger = logging.getLogger("Dataset612_SIIMACRPneumothorax")
NAME = "Dataset612_SIIMACRPneumothorax"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=Path, required=True, help="dicom-images-train folder (recursive)")
    parser.add_argument("--rle", type=Path, required=True, help="train-rle.csv")
    parser.add_argument("--rle-format", choices=("relative", "absolute"), default="relative",
                        help="EncodedPixels flavour (default relative, as in train-rle.csv)")
    parser.add_argument("--id-column", default="ImageId", help="image id column of the CSV (default ImageId)")
    add_common_arguments(parser, NAME, default_channels="gray")
    return parser


def dicom_patient_ids(images: dict[str, Path], wanted: set[str]) -> dict[str, str]:
    """PatientID of each wanted DICOM (header only); unreadable headers are left to the conversion."""
    import pydicom

    groups = {}
    for image_id in tqdm(sorted(wanted & set(images)), desc="reading PatientID", unit="file"):
        try:
            ds = pydicom.dcmread(str(images[image_id]), stop_before_pixels=True, specific_tags=["PatientID"])
        except Exception:  # noqa: BLE001 - a broken file is reported when its pixels are read
            continue
        patient = str(getattr(ds, "PatientID", "") or "").strip()
        if patient:
            groups[image_id] = patient
    return groups


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    rle_table = read_rle_csv(args.rle, args.id_column)
    images = index_image_files(args.images, recursive=True, suffixes=(".dcm", ".dicom"))
    groups = dicom_patient_ids(images, set(rle_table)) if args.shard is None else {}  # splits: final step only
    cases, unlisted = rle_cases(rle_table, images, relative=args.rle_format == "relative", groups=groups)
    if unlisted:
        logger.warning("%d DICOM file(s) in %s have no row in %s and are left out", unlisted, args.images, args.rle)
    spec = Dataset2DSpec(labels={"background": 0, CLASS_NAME: 1}, classes=[CLASS_NAME], gray_channel_name="xray",
                         description="SIIM-ACR pneumothorax (2D single-slice volumes)")
    return run_converter(args, cases, spec, NAME)


if __name__ == "__main__":
    sys.exit(run_script(main))
