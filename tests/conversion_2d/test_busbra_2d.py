"""Dataset615_BUSBRA on 40 real BUS-BRA images (../shared/data/busbra): labels, masks per layout, official splits."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from fake_inputs_2d import load_script
from PIL import Image

from segcls3d.errors import LabelFileError
from segcls3d.labels import CaseLabels

BUSBRA = Path(__file__).resolve().parents[3] / "shared" / "data" / "busbra"
if not BUSBRA.is_dir():  # a clone elsewhere (CI): the shared data of this workplace
    BUSBRA = Path("/work/shared/data/busbra")
pytestmark = pytest.mark.skipif(not (BUSBRA / "bus_data.csv").is_file(), reason="shared BUS-BRA data not present")
N_ROWS = 40


@pytest.fixture(autouse=True)
def no_real_nnunet_folders(monkeypatch):
    for name in ("nnUNet_raw", "nnUNet_preprocessed", "nnUNet_results"):
        monkeypatch.delenv(name, raising=False)


def _subset(path: Path, out: Path, ids: set[str]) -> list[dict]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [r for r in reader if r["ID"] in ids]
        fields = reader.fieldnames
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return rows


@pytest.fixture(scope="module")
def mini_busbra(tmp_path_factory) -> Path:
    """The first 40 images of BUS-BRA with their masks and the two CSVs restricted to them."""
    root = tmp_path_factory.mktemp("busbra")
    with (BUSBRA / "bus_data.csv").open(newline="") as handle:
        ids = [r["ID"] for r in csv.DictReader(handle)][:N_ROWS]
    for folder, prefix in (("Images", "bus_"), ("Masks", "mask_")):
        (root / folder).mkdir()
        for image_id in ids:
            name = f"{image_id.replace('bus_', prefix, 1)}.png"
            shutil.copy(BUSBRA / folder / name, root / folder / name)
    _subset(BUSBRA / "bus_data.csv", root / "bus_data.csv", set(ids))
    _subset(BUSBRA / "5-fold-cv.csv", root / "5-fold-cv.csv", set(ids))
    return root


def _rows(root: Path, name: str) -> dict[str, dict]:
    with (root / name).open(newline="") as handle:
        return {r["ID"]: r for r in csv.DictReader(handle)}


def _mask(out: Path, case: str) -> np.ndarray:
    return sitk.GetArrayFromImage(sitk.ReadImage(str(out / "labelsTr" / f"{case}.nii.gz")))[0]


def _outline(root: Path, case: str) -> np.ndarray:
    return np.asarray(Image.open(root / "Masks" / f"{case.replace('bus_', 'mask_', 1)}.png")) > 0


@pytest.mark.parametrize("layout", ["malignant", "lesions"])
def test_labels_and_masks_per_layout(mini_busbra, tmp_path, layout):
    script = load_script("Dataset615_BUSBRA")
    out = tmp_path / "Dataset615_BUSBRA"
    assert script.main(["--busbra", str(mini_busbra), "--layout", layout, "-o", str(out)]) == 0
    data = _rows(mini_busbra, "bus_data.csv")
    classes = ["malignant"] if layout == "malignant" else ["malignant", "benign_lesion"]
    labels = CaseLabels.from_raw_dataset(out, classes)
    assert sorted(labels.case_ids) == sorted(data)
    for case, row in data.items():
        malignant = float(row["Pathology"] == "malignant")
        expected_labels = [malignant] if layout == "malignant" else [malignant, 1 - malignant]
        assert labels.batch([case])[0].tolist() == expected_labels
        outline, mask = _outline(mini_busbra, case), _mask(out, case)
        assert mask.shape == outline.shape
        if layout == "malignant":  # the paper's ISIC style: the lesion only when malignant
            expected = outline.astype(np.uint8) if malignant else np.zeros_like(mask)
        else:  # every outline: benign_lesion = 1, malignant = 2
            expected = outline.astype(np.uint8) * (2 if malignant else 1)
        assert np.array_equal(mask, expected), case
    dataset = json.loads((out / "dataset.json").read_text())
    assert dataset["numTraining"] == N_ROWS
    if layout == "lesions":
        assert dataset["labels"] == {"background": 0, "benign_lesion": 1, "malignant": 2}
        assert dataset["segcls3d"]["classes"] == {"malignant": [2], "benign_lesion": [1]}


def test_official_folds_keep_patients_apart(mini_busbra, tmp_path):
    script = load_script("Dataset615_BUSBRA")
    out = tmp_path / "Dataset615_BUSBRA"
    assert script.main(["--busbra", str(mini_busbra), "--limited-fraction", "0.5", "-o", str(out)]) == 0
    splits = json.loads((out / "splits_final.json").read_text())
    folds = _rows(mini_busbra, "5-fold-cv.csv")
    patient = {k: r["Case"] for k, r in _rows(mini_busbra, "bus_data.csv").items()}
    assert len(splits) == 10
    for k in range(5):
        train, val = set(splits[k]["train"]), set(splits[k]["val"])
        assert val == {i for i, r in folds.items() if r["kFold"] == str(k + 1)}
        assert train == set(folds) - val
        assert {patient[i] for i in train}.isdisjoint({patient[i] for i in val})  # no patient on both sides
        limited = set(splits[k + 5]["train"])
        assert limited < train and splits[k + 5]["val"] == splits[k]["val"]
        assert {patient[i] for i in limited}.isdisjoint({patient[i] for i in train - limited})  # whole patients
        malignant = {i for i, r in folds.items() if r["Pathology"] == "malignant"}
        assert limited & malignant and limited - malignant  # both classes in the limited subset


def test_a_bad_pathology_value_names_the_image(mini_busbra, tmp_path):
    root = tmp_path / "bad"
    shutil.copytree(mini_busbra, root)
    text = (root / "bus_data.csv").read_text().replace(",malignant,", ",maybe,", 1)
    (root / "bus_data.csv").write_text(text)
    with pytest.raises(LabelFileError, match=r"bus_\d{4}-[lrs]: Pathology 'maybe'"):
        load_script("Dataset615_BUSBRA").main(["--busbra", str(root), "-o", str(tmp_path / "out")])
