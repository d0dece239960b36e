"""evaluate's PxAP of saliency maps read from <dir>/<class>/<case>.nii.gz, against scikit-learn."""
from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from sklearn.metrics import average_precision_score

from segcls3d.errors import InputDataError
from segcls3d.evaluate.saliency_pxap import evaluate_saliency_pxap


def _write(array: np.ndarray, path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(sitk.GetImageFromArray(array), str(path))


def test_pxap_over_the_cases_whose_reference_has_the_class(tmp_path):
    rng = np.random.default_rng(0)
    truth, maps = {}, {}
    for case, has_target in (("a", True), ("b", True), ("c", False)):
        mask = np.zeros((6, 10, 12), np.uint8)
        if has_target:
            mask[2:4, 3:6, 4:8] = 1
        truth[case], maps[case] = mask, (rng.random(mask.shape) * 0.5 + 0.4 * mask).astype(np.float32)
        _write(mask, tmp_path / "gt" / f"{case}.nii.gz")
        _write(maps[case], tmp_path / "maps" / "target" / f"{case}.nii.gz")
    result = evaluate_saliency_pxap(["a", "b", "c", "missing"], tmp_path / "maps", tmp_path / "gt",
                                    {"target": [1], "classification_only": []})
    assert list(result) == ["target"]
    r = result["target"]
    assert sorted(r.per_case) == ["a", "b"]  # c has no target, "missing" no files
    for case in ("a", "b"):
        assert r.per_case[case] == pytest.approx(average_precision_score(truth[case].ravel(), maps[case].ravel()))
    both = np.concatenate([maps["a"].ravel(), maps["b"].ravel()])
    assert r.dataset == pytest.approx(average_precision_score(np.concatenate([truth["a"].ravel(),
                                                                              truth["b"].ravel()]), both))


def test_a_map_on_another_grid_is_refused(tmp_path):
    mask = np.ones((4, 4, 4), np.uint8)
    _write(mask, tmp_path / "gt" / "a.nii.gz")
    _write(np.zeros((4, 4, 5), np.float32), tmp_path / "maps" / "target" / "a.nii.gz")
    with pytest.raises(InputDataError, match="shape"):
        evaluate_saliency_pxap(["a"], tmp_path / "maps", tmp_path / "gt", {"target": [1]})
    with pytest.raises(InputDataError, match="not found"):
        evaluate_saliency_pxap(["a"], tmp_path / "nope", tmp_path / "gt", {"target": [1]})
