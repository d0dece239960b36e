"""RuleBasedSummarizer: Algorithm 1 labels, tau units, statistics, geometry, serialisation, validation."""
from __future__ import annotations

import json

import numpy as np
import pytest
import SimpleITK as sitk

from segcls3d.errors import InputDataError, ModelFolderError
from segcls3d.summarize import (
    ImageGeometry,
    RuleBasedSummarizer,
    class_probability_maps,
    load_summarizer,
    save_summarizer,
    summarizer_from_dict,
)


def _cube_map(shape=(10, 10, 10), value=0.8, n=2):
    p = np.full(shape, 0.1, dtype=np.float32)
    p[2 : 2 + n, 3 : 3 + n, 4 : 4 + n] = value  # n**3 voxels
    return p


@pytest.mark.parametrize(
    "tau, unit, expected",
    [
        (8, "voxels", 1),
        (9, "voxels", 0),
        (0, "voxels", 1),
        (16.0, "mm3", 1),  # 8 voxels of 2 mm^3
        (16.5, "mm3", 0),
        (8.5, "mm3", 1),  # would be 0 if tau were read as voxels
    ],
)
def test_label_tau_voxels_vs_mm3(tau, unit, expected):
    s = RuleBasedSummarizer(threshold=0.5, tau=tau, tau_unit=unit)
    out = s.summarize({"lesion": _cube_map()}, spacing=(2.0, 1.0, 1.0))["lesion"]
    assert out.label == expected
    assert out.volume_mm3 == 16.0 and out.components == 1
    assert out.centroid_voxel == pytest.approx((2.5, 3.5, 4.5))
    assert out.centroid_world is None


def test_tau_mm3_exact_boundary_despite_floating_point():
    # 10 voxels of 0.001 mm^3 = 0.01 mm^3; 0.01 / 0.001 is 10.000000000000002 in floating point
    p = np.zeros((1, 4, 10), np.float32)
    p[0, 1, :] = 1.0
    s = RuleBasedSummarizer(tau=0.01, tau_unit="mm3")
    assert s.summarize({"c": p}, (0.1, 0.1, 0.1))["c"].label == 1


def test_threshold_is_inclusive_and_paper_probability():
    p = np.zeros((4, 4, 4), np.float32)
    p[0, 0, :3] = [0.5, 0.7, 0.9]
    s = RuleBasedSummarizer(threshold=0.5, tau=3)
    out = s.summarize({"c": p}, (1, 1, 1))["c"]
    assert out.label == 1 and out.volume_mm3 == 3.0
    assert out.probability == pytest.approx(0.7, abs=1e-6)
    neg = RuleBasedSummarizer(threshold=0.5, tau=4).summarize({"c": p}, (1, 1, 1))["c"]
    assert neg.label == 0
    assert neg.probability == pytest.approx(0.0)  # mean of the 61 voxels < t, all 0
    assert neg.volume_mm3 == 3.0  # statistics describe the binarized map whatever the label


@pytest.mark.parametrize("score", ["paper", "max", "topk_mean", "soft_volume"])
def test_each_score_through_summarizer(score):
    p = _cube_map(value=0.8, n=2)
    out = RuleBasedSummarizer(score=score, tau=1, top_k=4).summarize({"c": p}, (2.0, 1.0, 1.0))["c"]
    expected = {"paper": 0.8, "max": 0.8, "topk_mean": 0.8, "soft_volume": (8 * 0.8 + 992 * 0.1) * 2.0}
    assert out.probability == pytest.approx(expected[score], rel=1e-5)


def test_multiclass_softmax_classes_are_independent():
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=0.5, size=(3, 6, 16, 16)).astype(np.float32)
    logits[0] += 4  # background wins outside the blobs
    logits[1, 1:3, 2:6, 2:6] += 10  # label 1 blob
    logits[2, 4:6, 10:14, 10:14] += 10  # label 2 blob
    probs = np.exp(logits) / np.exp(logits).sum(axis=0, keepdims=True)
    maps = class_probability_maps(probs, {"one": [1], "two": [2], "any": [1, 2]})
    out = RuleBasedSummarizer(tau=5).summarize(maps, (3.0, 1.0, 1.0))
    assert list(out) == ["one", "two", "any"]
    for name, expected_voxels in [("one", (probs[1] >= 0.5).sum()), ("two", (probs[2] >= 0.5).sum())]:
        assert out[name].volume_mm3 == pytest.approx(3.0 * expected_voxels)
        assert out[name].label == 1
        assert out[name].components == 1
    assert out["one"].volume_mm3 == 3.0 * 2 * 4 * 4 and out["one"].centroid_voxel == pytest.approx((1.5, 3.5, 3.5))
    assert out["two"].centroid_voxel == pytest.approx((4.5, 11.5, 11.5))
    assert out["any"].components == 2
    assert out["any"].volume_mm3 == out["one"].volume_mm3 + out["two"].volume_mm3


def test_single_slice_2d_map():
    p = np.zeros((1, 32, 32), np.float32)
    p[0, 4:8, 4:8] = 0.9  # 16 px
    p[0, 20:22, 20:22] = 0.6  # 4 px
    s = RuleBasedSummarizer(tau=20, tau_unit="mm3")
    out = s.summarize({"c": p}, (999.0, 1.0, 1.0))["c"]
    assert out.label == 1 and out.volume_mm3 == 20.0 and out.components == 2
    assert out.centroid_voxel == pytest.approx((0.0, (5.5 * 16 + 20.5 * 4) / 20, (5.5 * 16 + 20.5 * 4) / 20))


def test_world_centroid_matches_simpleitk():
    img = sitk.Image(12, 10, 8, sitk.sitkFloat32)
    img.SetOrigin((5.0, -3.0, 100.0))
    img.SetSpacing((0.5, 0.75, 2.0))
    c, s = np.cos(0.4), np.sin(0.4)
    img.SetDirection((c, 0.0, s, 0.0, 1.0, 0.0, -s, 0.0, c))
    geometry = ImageGeometry.from_sitk_image(img)
    p = np.zeros((8, 10, 12), np.float32)
    p[2:4, 3:6, 5:9] = 1.0
    out = RuleBasedSummarizer(tau=1).summarize({"c": p}, geometry.spacing_zyx, geometry)["c"]
    assert out.centroid_voxel == pytest.approx((2.5, 4.0, 6.5))
    expected = img.TransformContinuousIndexToPhysicalPoint((6.5, 4.0, 2.5))
    assert out.centroid_world == pytest.approx(expected)
    empty = RuleBasedSummarizer().summarize({"c": np.zeros_like(p)}, geometry.spacing_zyx, geometry)["c"]
    assert empty.centroid_voxel is None and empty.centroid_world is None and empty.label == 0


def test_input_errors_name_the_class():
    s = RuleBasedSummarizer()
    with pytest.raises(InputDataError, match="'tumour'"):
        s.summarize({"tumour": np.zeros((2, 3, 4), np.float32)}, spacing=(1.0, 1.0))
    geometry = ImageGeometry((0.0, 0.0), (1.0, 1.0), (1.0, 0.0, 0.0, 1.0))
    with pytest.raises(InputDataError, match="'tumour'.*2D"):
        s.summarize({"tumour": np.zeros((2, 3, 4), np.float32)}, (1.0, 1.0, 1.0), geometry)


def test_round_trip_dict_and_json(tmp_path):
    s = RuleBasedSummarizer(threshold=0.3, tau=12.5, tau_unit="mm3", score="topk_mean", top_k=7)
    d = s.to_dict()
    assert d == {"kind": "rule_based", "threshold": 0.3, "tau": 12.5, "tau_unit": "mm3", "score": "topk_mean",
                 "top_k": 7}
    assert summarizer_from_dict(json.loads(json.dumps(d))) == s
    path = save_summarizer(tmp_path / "summarizer.json", s)
    assert load_summarizer(path) == s


@pytest.mark.parametrize(
    "d, match",
    [
        ({"threshold": 0.5}, "kind"),
        ({"kind": "nope"}, "unknown summarizer kind"),
        ({"kind": "rule_based", "tau": 1, "colour": "red"}, "colour"),
        ({"kind": "rule_based", "tau": -1}, "tau"),
    ],
)
def test_from_dict_errors(d, match):
    with pytest.raises(ValueError, match=match):
        summarizer_from_dict(d)


def test_load_summarizer_errors(tmp_path):
    with pytest.raises(ModelFolderError, match="not found"):
        load_summarizer(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "rule_based", "score": "median"}')
    with pytest.raises(ModelFolderError, match="bad.json.*median"):
        load_summarizer(bad)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"threshold": 1.5}, "threshold"),
        ({"threshold": -0.1}, "threshold"),
        ({"threshold": float("nan")}, "threshold"),
        ({"threshold": "0.5"}, "threshold"),
        ({"tau": -1}, "tau"),
        ({"tau": float("inf")}, "tau"),
        ({"tau_unit": "ml"}, "tau_unit"),
        ({"score": "median"}, "score"),
        ({"top_k": 0}, "top_k"),
        ({"top_k": 2.5}, "top_k"),
        ({"top_k": True}, "top_k"),
    ],
)
def test_invalid_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RuleBasedSummarizer(**kwargs)
