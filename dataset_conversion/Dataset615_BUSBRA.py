"""BUS-BRA breast ultrasound (benign / malignant, biopsy-proven) -> nnU-Net raw dataset.

    python dataset_conversion/Dataset615_BUSBRA.py --busbra ../shared/data/busbra [--layout malignant|lesions] \
        [--limited-fraction 0.1] [-o Dataset615_BUSBRA]

Input (the public BUS-BRA folder): ``Images/bus_XXXX-{l,r,s}.png``, ``Masks/mask_XXXX-{l,r,s}.png``
(lesion outline, 0/255), ``bus_data.csv`` (``ID, Case, Pathology, ...``) and the official
patient-grouped partition ``5-fold-cv.csv`` (``kFold`` = test fold; ``valid_k`` = 1 train, 0
validation, NaN test in fold k). Please cite Gómez-Flores et al., "BUS-BRA: A breast ultrasound
dataset for assessing computer-aided diagnosis systems", Medical Physics 51(4), 2024.

Targets (``--layout``):

* ``malignant`` (default; the paper's ISIC style): label ``malignant`` = 1 is the lesion of malignant
  images, benign images have an empty mask. Image-level class ``malignant``.
* ``lesions``: every outline trains the network: ``benign_lesion`` = 1, ``malignant`` = 2; classes
  ``malignant`` (g reads label 2) and ``benign_lesion`` (label 1).

Splits: every image goes to imagesTr; ``splits_final.json`` holds the official patient-grouped
folds: nnU-Net fold k-1 validates on the official test fold k (``kFold == k``) and trains on the
other four, so nnU-Net's final validation is the held-out evaluation (use ``checkpoint_final``, not
``checkpoint_best``, which is chosen on these cases). The official train/validation columns
(``valid_k``) are not used: they put views of ~210 patients on both sides. ``--limited-fraction f``
adds folds 5-9: the same folds with f of the training images, stratified by class and grouped by
patient (the paper's limited-data regime), validation unchanged.
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Optional

from segcls3d.conversion.images2d.cli import add_common_arguments, run_converter
from segcls3d.conversion.images2d.convert import Case2D
from segcls3d.conversion.images2d.finish import Dataset2DSpec
from segcls3d.conversion.images2d.mask_io import EmptyMask, MaskFiles, MissingMask
from segcls3d.conversion.script_support import run_script
from segcls3d.conversion.splits import grouped_subset
from segcls3d.errors import InputDataError, LabelFileError

NAME = "Dataset615_BUSBRA"
LAYOUTS = ("malignant", "lesions")
N_FOLDS = 5


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--busbra", type=Path, required=True, help="the BUS-BRA folder (Images/, Masks/, CSVs)")
    parser.add_argument("--layout", choices=LAYOUTS, default="malignant",
                        help="malignant: lesion of malignant images only; lesions: benign_lesion=1, malignant=2")
    parser.add_argument("--limited-fraction", type=float, default=None,
                        help="also write folds 5-9 with this fraction of each fold's training images")
    parser.add_argument("--seed", type=int, default=0, help="seed of the limited-data subsets (default 0)")
    add_common_arguments(parser, NAME, default_channels="gray")
    return parser


def read_rows(path: Path, required: tuple[str, ...]) -> list[dict]:
    """Rows of a BUS-BRA CSV.

    Raises:
        LabelFileError: missing file or column.
    """
    if not path.is_file():
        raise LabelFileError(f"{path}: not found (is --busbra the BUS-BRA folder?)")
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    missing = [c for c in required if rows and c not in rows[0]]
    if not rows or missing:
        raise LabelFileError(f"{path}: no rows or missing column(s) {missing}")
    return rows


def malignant_flag(pathology: str, image_id: str, source: Path) -> float:
    """1.0 malignant, 0.0 benign.

    Raises:
        LabelFileError: any other pathology value (names the image and file).
    """
    value = pathology.strip().lower()
    if value not in ("malignant", "benign"):
        raise LabelFileError(f"{source}: image {image_id}: Pathology {pathology!r} is not benign/malignant")
    return 1.0 if value == "malignant" else 0.0


def case_for(row: dict, root: Path, layout: str, source: Path) -> Case2D:
    """The Case2D of one image under ``layout``."""
    image_id = row["ID"].strip()
    malignant = malignant_flag(row["Pathology"], image_id, source)
    image = root / "Images" / f"{image_id}.png"
    mask_file = root / "Masks" / f"{image_id.replace('bus_', 'mask_', 1)}.png"
    labels = {"malignant": malignant}
    if layout == "lesions":
        labels["benign_lesion"] = 1.0 - malignant
    if not mask_file.is_file():
        mask = MissingMask(f"no lesion outline {mask_file}")
    elif layout == "malignant" and not malignant:
        mask = EmptyMask()
    else:
        mask = MaskFiles((str(mask_file),), binary=True, value=2 if (layout == "lesions" and malignant) else 1)
    return Case2D(image_id, str(image) if image.is_file() else None, mask, labels, "train",
                  group=f"patient_{row['Case'].strip()}")


def official_folds(rows: list[dict], source: Path) -> list[dict]:
    """nnU-Net folds from the official test folds of ``5-fold-cv.csv``: fold k-1 validates on ``kFold == k``.

    Raises:
        LabelFileError: a ``kFold`` value outside 1..5.
    """
    folds = {}
    for row in rows:
        fold = row["kFold"].strip()
        if fold not in {str(k) for k in range(1, N_FOLDS + 1)}:
            raise LabelFileError(f"{source}: image {row['ID']}: kFold = {fold!r} is not one of 1..{N_FOLDS}")
        folds[row["ID"].strip()] = int(fold)
    return [{"train": sorted(i for i, f in folds.items() if f != k),
             "val": sorted(i for i, f in folds.items() if f == k)} for k in range(1, N_FOLDS + 1)]


def limited_folds(splits: list[dict], cases: dict[str, Case2D], fraction: float, seed: int) -> list[dict]:
    """The same folds with ``fraction`` of each training part (class-stratified, patient-grouped)."""
    groups = {c.case_id: c.group for c in cases.values()}
    labels = {c.case_id: c.labels["malignant"] for c in cases.values()}
    return [{"train": grouped_subset(fold["train"], groups, labels, fraction, seed + k), "val": fold["val"]}
            for k, fold in enumerate(splits)]


def dataset_spec(layout: str) -> Dataset2DSpec:
    if layout == "lesions":
        return Dataset2DSpec(labels={"background": 0, "benign_lesion": 1, "malignant": 2},
                             classes=["malignant", "benign_lesion"],
                             class_block={"classes": {"malignant": [2], "benign_lesion": [1]}},
                             description="BUS-BRA breast ultrasound (Gomez-Flores et al. 2024): benign and "
                                         "malignant lesion outlines")
    return Dataset2DSpec(labels={"background": 0, "malignant": 1}, classes=["malignant"],
                         class_block={"classes": {"malignant": [1]}},
                         description="BUS-BRA breast ultrasound (Gomez-Flores et al. 2024): malignant lesion "
                                     "outlines, benign images empty")


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.limited_fraction is not None and not 0 < args.limited_fraction < 1:
        raise InputDataError(f"--limited-fraction must be in (0, 1), got {args.limited_fraction}")
    root = args.busbra
    data_csv, folds_csv = root / "bus_data.csv", root / "5-fold-cv.csv"
    cases = {c.case_id: c for c in (case_for(r, root, args.layout, data_csv)
                                    for r in read_rows(data_csv, ("ID", "Case", "Pathology")))}
    fold_rows = read_rows(folds_csv, ("ID", "kFold"))
    unknown = sorted({r["ID"].strip() for r in fold_rows} - set(cases))
    if unknown:
        raise LabelFileError(f"{folds_csv}: image(s) {unknown[:5]} are not in {data_csv}")
    splits = official_folds(fold_rows, folds_csv)
    if args.limited_fraction is not None:
        splits += limited_folds(splits, cases, args.limited_fraction, args.seed)
    return run_converter(args, list(cases.values()), dataset_spec(args.layout), NAME, splits=splits)


if __name__ == "__main__":
    sys.exit(run_script(main))
