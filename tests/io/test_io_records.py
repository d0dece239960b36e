"""Tests of RecordFolder, the per-key resume mechanism of conversion, pseudo-labelling and experiments."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from segcls3d.errors import InputDataError
from segcls3d.io.records import RecordFolder, as_json, changed_keys


@pytest.fixture
def store(tmp_path) -> RecordFolder:
    return RecordFolder(tmp_path / "log")


def test_write_read_round_trip(store):
    path = store.write("case_1", {"status": "done", "labels": (1.0, None), "where": Path("a/b")})
    assert path == store.folder / "case_1.json"
    assert store.read("case_1") == {"status": "done", "labels": [1.0, None], "where": "a/b"}
    assert store.read("missing") is None
    assert store.keys() == ["case_1"]


@pytest.mark.parametrize(("record", "settings", "done"), [
    pytest.param({"status": "done", "settings": {"tau": 10}}, {"tau": 10}, True, id="same-settings"),
    pytest.param({"status": "done", "settings": {"tau": 10}}, {"tau": 5}, False, id="settings-mismatch"),
    pytest.param({"status": "done", "settings": {"tau": 10}}, {"tau": 10, "t": 0.5}, False, id="new-key"),
    pytest.param({"status": "done", "settings": {"size": [2, 3]}}, {"size": (2, 3)}, True, id="tuple-vs-list"),
    pytest.param({"status": "done"}, None, True, id="no-settings-asked"),
    pytest.param({"status": "done"}, {"tau": 10}, False, id="record-without-settings"),
    pytest.param({"status": "failed", "settings": {"tau": 10}}, {"tau": 10}, False, id="failed"),
    pytest.param({"settings": {"tau": 10}}, {"tau": 10}, False, id="no-status"),
])
def test_is_done(store, record, settings, done):
    store.write("k", record)
    assert store.is_done("k", settings=settings) is done


def test_is_done_with_other_done_statuses(store):
    store.write("k", {"status": "skipped"})
    assert store.is_done("k") is False
    assert store.is_done("k", done=("done", "skipped")) is True


def test_is_done_with_own_field_names(tmp_path):
    store = RecordFolder(tmp_path, status_field="state", settings_field="options")
    store.write("k", {"state": "done", "options": {"a": 1}})
    assert store.is_done("k", settings={"a": 1}) is True
    assert store.is_done("k", settings={"a": 2}) is False


@pytest.mark.parametrize("text", ["{not json", "", "[1, 2]", '"done"'])
def test_corrupted_record_is_redone_with_a_warning(store, caplog, text):
    store.write("good", {"status": "done"})
    store.path("bad").write_text(text)
    with caplog.at_level(logging.WARNING, logger="segcls3d.io.records"):
        assert store.read("bad") is None
        assert store.is_done("bad") is False
    assert f"{store.path('bad')}" in caplog.text and "done again" in caplog.text
    assert store.read_all() == {"good": {"status": "done"}}


def test_read_all_strict_names_the_broken_file(store):
    store.write("a", {"status": "done"})
    store.path("b").write_text("{")
    with pytest.raises(InputDataError, match=r"b\.json: record is not valid JSON"):
        store.read_all(strict=True)


def test_read_all_sorted_and_ignores_settings_file(store):
    for key in ("c", "a", "b"):
        store.write(key, {"status": "done", "key": key})
    store.check_settings({"tau": 10})
    assert list(store.read_all()) == ["a", "b", "c"]
    assert store.keys() == ["a", "b", "c"]


def test_keys_of_missing_folder(tmp_path):
    assert RecordFolder(tmp_path / "nowhere").keys() == []
    assert RecordFolder(tmp_path / "nowhere").read_all() == {}


def test_check_settings_stores_then_accepts_the_same(store):
    store.check_settings({"per_vertebra": False, "size": (128, 128)})
    assert json.loads((store.folder / "settings.txt").read_text()) == {"per_vertebra": False, "size": [128, 128]}
    store.check_settings({"size": (128, 128), "per_vertebra": False})  # same values, other order: fine
    assert store.read_settings() == {"per_vertebra": False, "size": [128, 128]}


def test_check_settings_refuses_changed_settings_and_names_the_key(store):
    store.check_settings({"per_vertebra": False, "paper": True})
    with pytest.raises(InputDataError) as info:
        store.check_settings({"per_vertebra": True, "paper": True}, what="Dataset601")
    message = str(info.value)
    assert message.startswith("Dataset601 was written with other settings (per_vertebra: False -> True); ")
    assert "paper" not in message
    assert message.endswith("use a new output folder, or delete it to start over")
    assert store.read_settings() == {"per_vertebra": False, "paper": True}  # the stored settings are kept


def test_check_settings_names_added_and_removed_keys_and_uses_the_advice(store):
    store.check_settings({"a": 1, "b": 2})
    with pytest.raises(InputDataError, match=r"\(b: 2 -> None, c: None -> 3\); rerun to resume$"):
        store.check_settings({"a": 1, "c": 3}, advice="rerun to resume")


def test_unreadable_settings_are_replaced_with_a_warning(store, caplog):
    store.folder.mkdir(parents=True)
    (store.folder / "settings.txt").write_text("{")
    with caplog.at_level(logging.WARNING, logger="segcls3d.io.records"):
        assert store.read_settings() is None
    assert "unreadable settings file" in caplog.text
    store.check_settings({"tau": 10})
    assert store.read_settings() == {"tau": 10}


def test_settings_file_outside_the_records_folder(tmp_path):
    store = RecordFolder(tmp_path / "records", settings_file=tmp_path / "config.json")
    assert store.settings_path() == tmp_path / "config.json"
    store.write_settings({"mode": "plain"})
    assert json.loads((tmp_path / "config.json").read_text()) == {"mode": "plain"}
    assert store.keys() == []
    with pytest.raises(InputDataError, match=r"mode: 'plain' -> 'boosted'"):
        store.check_settings({"mode": "boosted"})


def test_write_settings_replaces(store):
    store.write_settings({"a": 1})
    store.write_settings({"a": 2})
    assert store.read_settings() == {"a": 2}


def test_write_leaves_no_temporary_file(store):
    store.write("k", {"status": "done"})
    store.write("k", {"status": "done", "n": 2})
    assert sorted(p.name for p in store.folder.iterdir()) == ["k.json"]
    assert store.read("k") == {"status": "done", "n": 2}


def test_changed_keys_and_as_json():
    assert changed_keys({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 0}) == ["b", "c"]
    assert changed_keys({"a": 1}, {"a": 1}) == []
    assert as_json({"t": (1, 2), "p": Path("x")}) == {"t": [1, 2], "p": "x"}
