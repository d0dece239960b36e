"""Tests of parse_label_value, the one parser of 0 / 1 / unknown label cells."""
from __future__ import annotations

import pytest

from segcls3d.labels.values import is_unknown_spelling, parse_label_value


@pytest.mark.parametrize(("raw", "expected"), [
    ("1", 1.0), ("1.0", 1.0), (" 1 ", 1.0), ("0", 0.0), ("0.0", 0.0), ("", None), ("  ", None),
])
def test_strict_values(raw, expected):
    assert parse_label_value(raw) == expected
    assert parse_label_value(raw, lenient=True) == expected


@pytest.mark.parametrize("raw", ["true", "yes", "false", "no", "nan", "NA", "n/a", "none", "?", "2", "0.5", "-1"])
def test_strict_refuses_other_spellings(raw):
    with pytest.raises(ValueError):
        parse_label_value(raw)


@pytest.mark.parametrize(("raw", "expected"), [
    ("TRUE", 1.0), ("Yes", 1.0), ("false", 0.0), (" No ", 0.0), ("NaN", None), ("NA", None), ("n/a", None),
    ("None", None), ("?", None),
])
def test_lenient_spellings_of_public_tables(raw, expected):
    assert parse_label_value(raw, lenient=True) == expected


@pytest.mark.parametrize("raw", ["2", "0.5", "positive", "y"])
def test_lenient_still_refuses_other_values(raw):
    with pytest.raises(ValueError, match=raw):
        parse_label_value(raw, lenient=True)


def test_unknown_spellings():
    assert [is_unknown_spelling(v) for v in ("", " nan ", "N/A", "?", "0", "no")] == [True, True, True, True, False,
                                                                                      False]
