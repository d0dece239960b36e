"""class_definitions / load_class_definitions: defaults, the segcls3d.classes block, regions, errors."""
from __future__ import annotations

import json

import pytest

from segcls3d.errors import LabelFileError, SegCls3dError
from segcls3d.labels import ClassDefinition, class_definitions, load_class_definitions

SOFTMAX_LABELS = {"background": 0, "lesion": 1, "cyst": 2, "ignore": 3}
REGION_LABELS = {"background": 0, "whole_tumor": [1, 2, 3], "tumor_core": [2, 3], "enhancing": 3}


def _names_ids(defs):
    return [(d.name, d.label_ids) for d in defs]


def test_default_is_each_foreground_label():
    defs = class_definitions({"labels": SOFTMAX_LABELS})
    assert _names_ids(defs) == [("lesion", (1,)), ("cyst", (2,))]
    assert all(isinstance(d, ClassDefinition) for d in defs)


def test_default_keeps_dataset_json_order_and_skips_background_by_value():
    defs = class_definitions({"labels": {"b": 2, "bg": 0, "a": 1}})
    assert _names_ids(defs) == [("b", (2,)), ("a", (1,))]


def test_default_with_empty_segcls3d_block():
    for block in ({}, None):
        assert _names_ids(class_definitions({"labels": SOFTMAX_LABELS, "segcls3d": block})) == [("lesion", (1,)),
                                                                                                 ("cyst", (2,))]


def test_explicit_block_with_classification_only_class():
    data = {"labels": SOFTMAX_LABELS,
            "segcls3d": {"classes": {"any_finding": [1, 2], "cyst": [2], "patient_overall": []}}}
    defs = class_definitions(data)
    assert _names_ids(defs) == [("any_finding", (1, 2)), ("cyst", (2,)), ("patient_overall", ())]
    assert [d.to_json() for d in defs] == [[1, 2], [2], []]


def test_region_based_defaults():
    defs = class_definitions({"labels": REGION_LABELS, "regions_class_order": [1, 2, 3]})
    assert _names_ids(defs) == [("whole_tumor", (1, 2, 3)), ("tumor_core", (2, 3)), ("enhancing", (3,))]


def test_region_based_explicit_block():
    defs = class_definitions({"labels": REGION_LABELS, "segcls3d": {"classes": {"tc": [2, 3], "edema": [1]}}})
    assert _names_ids(defs) == [("tc", (2, 3)), ("edema", (1,))]


@pytest.mark.parametrize("ids, bad", [
    ([1, 3], "[3]"),  # the ignore label
    ([7], "[7]"),  # not a label
    ([0, 1], "[0]"),  # background
])
def test_bad_label_ids_name_the_class(ids, bad):
    with pytest.raises(LabelFileError) as info:
        class_definitions({"labels": SOFTMAX_LABELS, "segcls3d": {"classes": {"my_class": ids}}},
                          source="ds/dataset.json")
    message = str(info.value)
    assert "ds/dataset.json" in message and "'my_class'" in message and bad in message


@pytest.mark.parametrize("ids", [["1"], [1.5], [1.0], 1, "1", [True], None, {"a": 1}])
def test_non_integer_ids_name_the_class(ids):
    with pytest.raises(LabelFileError, match="class 'my_class'.*integer label ids"):
        class_definitions({"labels": SOFTMAX_LABELS, "segcls3d": {"classes": {"my_class": ids}}})


@pytest.mark.parametrize("data, expected", [
    ({"labels": SOFTMAX_LABELS, "segcls3d": {"classes": {}}}, "must map class names"),
    ({"labels": SOFTMAX_LABELS, "segcls3d": {"classes": ["lesion"]}}, "must map class names"),
    ({"labels": SOFTMAX_LABELS, "segcls3d": ["classes"]}, "'segcls3d' must be an object"),
    ({"labels": {}}, "no 'labels'"),
    ({"name": "x"}, "no 'labels'"),
    ({"labels": ["background", "lesion"]}, "no 'labels'"),
    ({"labels": {"background": 0, "lesion": "one"}}, "label 'lesion'"),
])
def test_malformed_dataset_json(data, expected):
    with pytest.raises(LabelFileError, match=expected):
        class_definitions(data, source="x/dataset.json")


def test_label_file_error_is_a_segcls3d_error():
    assert issubclass(LabelFileError, SegCls3dError)


def test_load_class_definitions(tmp_path):
    path = tmp_path / "dataset.json"
    path.write_text(json.dumps({"labels": SOFTMAX_LABELS, "segcls3d": {"classes": {"lesion": [1], "global": []}}}))
    assert _names_ids(load_class_definitions(path)) == [("lesion", (1,)), ("global", ())]


def test_load_class_definitions_errors_name_the_file(tmp_path):
    with pytest.raises(LabelFileError, match="not found") as info:
        load_class_definitions(tmp_path / "missing" / "dataset.json")
    assert "missing" in str(info.value)
    bad = tmp_path / "dataset.json"
    bad.write_text("{not json")
    with pytest.raises(LabelFileError, match="not valid JSON") as info:
        load_class_definitions(bad)
    assert str(bad) in str(info.value)
    bad.write_text(json.dumps({"labels": SOFTMAX_LABELS, "segcls3d": {"classes": {"c": [9]}}}))
    with pytest.raises(LabelFileError) as info:
        load_class_definitions(bad)
    assert str(bad) in str(info.value) and "'c'" in str(info.value)
