"""RecordStore: per-case records and the run's parameters of a pseudo-labelled dataset (resume support)."""
from __future__ import annotations

import json
import logging

import pytest

from segcls3d.errors import InputDataError
from segcls3d.pseudolabels.records import CONFIG_FILENAME, RECORDS_DIRNAME, CaseRecord, RecordStore

CONFIG = {"mode": "partial", "raw": "/data/Dataset900_Src", "positives": "ignore"}


def test_records_and_config_keep_their_file_names(tmp_path):
    store = RecordStore(tmp_path)
    store.start(CONFIG)
    store.put(CaseRecord("a", "partial", "background", 0, "negative"))
    assert json.loads((tmp_path / CONFIG_FILENAME).read_text()) == CONFIG
    assert json.loads((tmp_path / RECORDS_DIRNAME / "a.json").read_text()) == {
        "case_id": "a", "mode": "partial", "action": "background", "voxels": 0, "reason": "negative"}
    assert RecordStore(tmp_path).get("a") == CaseRecord("a", "partial", "background", 0, "negative")


def test_failed_cases_are_not_recorded(tmp_path):
    store = RecordStore(tmp_path)
    store.start(CONFIG)
    record = CaseRecord("a", "plain", "failed", 0, "RuntimeError: boom")
    assert store.put(record) == record
    assert store.get("a") is None
    assert sorted(p.name for p in (tmp_path / RECORDS_DIRNAME).iterdir()) == []


@pytest.mark.parametrize("text", ["{not json", '{"case_id": "a"}', '{"case_id": "a", "mode": "x", "action": "y", '
                                                                     '"surprise": 1}'])
def test_unreadable_or_malformed_record_is_redone_with_a_warning(tmp_path, caplog, text):
    store = RecordStore(tmp_path)
    store.start(CONFIG)
    (tmp_path / RECORDS_DIRNAME / "a.json").write_text(text)
    with caplog.at_level(logging.WARNING):
        record = store.get("a")
    if "surprise" in text:  # unknown keys are ignored, missing optional fields get their defaults
        assert record == CaseRecord("a", "x", "y", 0, "")
    else:
        assert record is None
        assert "a.json" in caplog.text and "done again" in caplog.text


def test_same_parameters_resume(tmp_path):
    RecordStore(tmp_path).start(CONFIG)
    RecordStore(tmp_path).put(CaseRecord("a", "partial", "ignore", 0, "unknown"))
    RecordStore(tmp_path).start(dict(CONFIG))
    assert RecordStore(tmp_path).get("a") == CaseRecord("a", "partial", "ignore", 0, "unknown")


def test_other_parameters_are_refused_and_named(tmp_path):
    RecordStore(tmp_path).start(CONFIG)
    with pytest.raises(InputDataError) as info:
        RecordStore(tmp_path).start({**CONFIG, "positives": "exclude"})
    assert str(info.value) == (f"{tmp_path} was written with other settings (positives: 'ignore' -> 'exclude'); "
                               "rerun with the same parameters to resume, or pass --overwrite")
    assert json.loads((tmp_path / CONFIG_FILENAME).read_text()) == CONFIG


def test_overwrite_clears_the_generated_folders_and_stores_the_new_parameters(tmp_path):
    store = RecordStore(tmp_path)
    store.start(CONFIG)
    store.put(CaseRecord("a", "partial", "ignore", 0, "unknown"))
    (tmp_path / "labelsTr").mkdir()
    (tmp_path / "labelsTr" / "a.nii.gz").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("kept")
    RecordStore(tmp_path).start({**CONFIG, "positives": "exclude"}, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([CONFIG_FILENAME, "notes.txt", RECORDS_DIRNAME])
    assert RecordStore(tmp_path).get("a") is None
    assert json.loads((tmp_path / CONFIG_FILENAME).read_text())["positives"] == "exclude"


@pytest.mark.parametrize("config_text", [None, "{broken"])
def test_non_empty_folder_not_written_by_us_is_refused(tmp_path, config_text):
    (tmp_path / "something.txt").write_text("x")
    if config_text is not None:
        (tmp_path / CONFIG_FILENAME).write_text(config_text)
    with pytest.raises(InputDataError, match="not written by segcls3d pseudolabel"):
        RecordStore(tmp_path).start(CONFIG)


def test_write_log_sorted_by_case(tmp_path):
    store = RecordStore(tmp_path)
    path = store.write_log([CaseRecord("b", "boosted", "excluded", 5, "positive, empty"),
                            CaseRecord("a", "boosted", "zeroed", 0, "negative")])
    assert path.read_text().splitlines() == ["case_id,mode,action,voxels,reason", "a,boosted,zeroed,0,negative",
                                             'b,boosted,excluded,5,"positive, empty"']
