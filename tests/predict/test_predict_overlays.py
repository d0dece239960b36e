"""`segcls3d predict --overlays` and `evaluate --html` end to end on the old checkpoints (no training).

The page is read with Python's html.parser (no headless browser on the test machines).
"""
from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from overlay_checks import parse_page, png_size, resolve

from segcls3d.cli.main import main
from segcls3d.labels import write_case_labels
from segcls3d.predict.overlay_plot import OVERLAY_SIZE_PX

DATA = Path(__file__).resolve().parents[1] / "data" / "old_checkpoints"
MODELS = DATA / "models"
SEGCLS = MODELS / "nnUNetTrainerSegCls_smoke__nnUNetPlans_cpu_tiny__3d_fullres"
CLS = MODELS / "nnUNetTrainerCls_smoke__nnUNetPlans_cpu_tiny__3d_fullres"
FAST = ["-f", "0", "--device", "cpu", "--disable-tta"]
NASTY = "x<&>y"
CASES = ["c0", "c1", "c2", NASTY]
SLICE_LOG = re.compile(r"overlay .*/overlays/(.+)\.png: slice (\d+) of (\d+) \((\w+)\)")


def _images(folder: Path) -> Path:
    folder.mkdir()
    for i, case in enumerate(CASES):
        shutil.copy(DATA / "imagesTs" / f"synth_test_{i:04d}_0000.nii.gz", folder / f"{case}_0000.nii.gz")
    return folder


def _predict(images: Path, out: Path, model: Path, *extra: str) -> int:
    return main(["predict", "-i", str(images), "-o", str(out), "-m", str(model), *FAST, "--overlays", *extra])


def _slices(caplog) -> dict[str, tuple[int, int, str]]:
    found = [SLICE_LOG.search(r.getMessage()) for r in caplog.records]
    return {m[1]: (int(m[2]), int(m[3]), m[4]) for m in found if m}


def test_overlays_index_rerun_and_evaluate_html(tmp_path, caplog, capsys):
    images, out = _images(tmp_path / "images"), tmp_path / "out"
    caplog.set_level(logging.DEBUG, logger="segcls3d.predict.overlays")
    assert _predict(images, out, SEGCLS, "--save-probabilities") == 0

    # one PNG per case, of the fixed size, on the slice of most target probability
    slices = _slices(caplog)
    assert sorted(slices) == sorted(CASES)
    for case in CASES:
        assert png_size(out / "overlays" / f"{case}.png") == OVERLAY_SIZE_PX
        with np.load(out / f"{case}.npz") as data:
            evidence = data["probabilities"][1].astype(np.float64).sum(axis=(1, 2))  # label 1 = class target
        index, n_slices, kind = slices[case]
        assert (n_slices, kind) == (24, "probability")
        assert evidence[index] >= evidence.max() - 1e-2  # the npz holds float16; the overlay used float32

    # the page: every case once, by probability, images that resolve, the nasty id escaped
    table = pd.read_csv(out / "classification.csv", dtype={"case_id": str})
    page = parse_page(out / "index.html")
    expected = table.sort_values(["target_probability", "case_id"], ascending=[False, True])
    assert [r.case for r in page.rows] == expected["case_id"].tolist() and len(page.rows) == len(CASES)
    assert [float(r.probability) for r in page.rows] == expected["target_probability"].tolist()
    assert all(len(r.images) == 1 and resolve(out / "index.html", r.images[0]).is_file() for r in page.rows)
    assert NASTY not in (out / "index.html").read_text(encoding="utf-8")  # only escaped

    # rerun (all cases kept): a deleted overlay is drawn again from the files, a broken one is reported
    caplog.clear()
    (out / "overlays" / "c1.png").unlink()
    (out / "overlays" / "c2.png").unlink()
    (out / "overlays" / "c2.png").mkdir()  # the overlay cannot be written there
    assert _predict(images, out, SEGCLS, "--save-probabilities") == 1
    assert sorted(_slices(caplog)) == ["c1"] and (out / "overlays" / "c1.png").is_file()
    assert re.search(r"1 overlay\(s\) failed:\n  c2: IsADirectoryError", capsys.readouterr().err)
    rows = {r.case: r for r in parse_page(out / "index.html").rows}
    assert "overlay failed: IsADirectoryError" in rows["c2"].text and rows["c2"].images == []
    assert all(len(rows[c].images) == 1 for c in ("c0", "c1", NASTY))

    # evaluate --html: the same page with truth and the outcome at the Youden point
    labels = write_case_labels(tmp_path / "labels.csv", {"c0": {"target": 1}, "c1": {"target": 0},
                                                         "c2": {"target": 1}, NASTY: {"target": 0}}, ["target"])
    assert main(["evaluate", "--predictions", str(out / "classification.csv"), "--labels", str(labels),
                 "--bootstrap", "0", "--json", str(tmp_path / "m.json"), "--html", str(out / "index.html")]) == 0
    threshold = json.loads((tmp_path / "m.json").read_text())["classes"]["target"]["sources"]["summarizer"][
        "operating_points"]["youden"]["threshold"]
    truth = {"c0": 1, "c1": 0, "c2": 1, NASTY: 0}
    page = parse_page(out / "index.html")
    assert [r.case for r in page.rows] == expected["case_id"].tolist()
    for row, p in zip(page.rows, expected["target_probability"]):
        called = int(p >= threshold)
        kind = {(1, 1): "TP", (0, 1): "FP", (0, 0): "TN", (1, 0): "FN"}[(truth[row.case], called)]
        assert f"target: truth {truth[row.case]}, {kind}" in row.text and kind in row.classes

    # a later run without --overlays still rewrites the page it finds (no stale outcomes or rows)
    assert main(["predict", "-i", str(images), "-o", str(out), "-m", str(SEGCLS), *FAST, "--save-probabilities"]) == 0
    page = parse_page(out / "index.html")
    assert len(page.rows) == len(CASES) and not any("truth" in r.text for r in page.rows)


def test_classifier_overlays_show_the_middle_slice(tmp_path, caplog):
    images, out = _images(tmp_path / "images"), tmp_path / "out"
    caplog.set_level(logging.DEBUG, logger="segcls3d.predict.overlays")
    assert _predict(images, out, CLS) == 0
    assert set(_slices(caplog).values()) == {(12, 24, "none")}  # no mask, no map: the middle slice
    page = parse_page(out / "index.html")
    assert len(page.rows) == len(CASES) and all(resolve(out / "index.html", r.images[0]).is_file() for r in page.rows)
    assert all("target: " in r.text for r in page.rows)  # the head's probability
