"""index.html: every case once, most probable first, working relative images, escaped text, offline only."""
from __future__ import annotations

from overlay_checks import parse_page, resolve

from segcls3d.evaluate.case_outcomes import CaseOutcome
from segcls3d.predict.index_page import index_html, sort_rows, write_index_page
from segcls3d.predict.overlays import overlay_path

NASTY = 'a<&>"b\''


def _rows() -> list[dict]:
    probabilities = {"c1": 0.31, NASTY: 0.92, "c3": None, "c4": 0.31, "c5": 0.05, "c6": "0.6"}
    return [{"case_id": case, "lesion_probability": p, "lesion_label": None if p is None else int(float(p) >= 0.5),
             "cyst_probability": 0.5, "note": "<script>alert(1)</script>"} for case, p in probabilities.items()]


def test_cases_sorted_by_the_first_class_probability_with_images_that_resolve(tmp_path):
    rows = _rows()
    for case in (NASTY, "c1", "c5"):
        overlay_path(tmp_path, case).parent.mkdir(exist_ok=True)
        overlay_path(tmp_path, case).write_bytes(b"\x89PNG\r\n\x1a\n")
    path = write_index_page(tmp_path / "index.html", rows, ["lesion", "cyst"], overlay_failures={"c4": "disk <full>"})
    page = parse_page(path)
    assert [r.case for r in page.rows] == [NASTY, "c6", "c1", "c4", "c5", "c3"]  # ties by id, no value last
    assert len(page.rows) == len(rows) == 6
    values = [float(r.probability) for r in page.rows if r.probability]
    assert values == sorted(values, reverse=True) == [0.92, 0.6, 0.31, 0.31, 0.05]
    assert page.rows[-1].probability == ""
    images = [src for r in page.rows for src in r.images]
    assert len(images) == 3 and all(resolve(path, src).is_file() for src in images)
    assert all(resolve(path, link).is_file() for link in page.links)  # href too; nothing external
    assert not {"script", "link", "iframe"} & set(page.tags)
    assert "overlay failed: disk <full>" in page.rows[3].text and "no overlay" in page.rows[1].text
    assert "lesion: 0.920 (positive)" in page.rows[0].text


def test_all_text_is_escaped(tmp_path):
    text = index_html(_rows(), ["lesion"], tmp_path, title="<b>ward & co</b>")
    assert NASTY not in text and "<script>" not in text and "<b>" not in text
    page = parse_page(write_index_page(tmp_path / "i.html", _rows(), ["lesion"]))
    assert page.rows[0].case == NASTY and NASTY in page.rows[0].text  # the parser gets the original text back
    assert "<script>alert(1)</script>" in page.rows[0].text  # shown as text, not run
    assert "script" not in page.tags


def test_outcomes_are_shown_and_highlighted(tmp_path):
    outcomes = {NASTY: {"lesion": CaseOutcome(0, 1, 0.4, "summarizer")},
                "c5": {"lesion": CaseOutcome(1, 0, 0.4, "summarizer")},
                "c1": {"lesion": CaseOutcome(None, 0, 0.4, "summarizer")}}
    page = parse_page(write_index_page(tmp_path / "index.html", _rows(), ["lesion"], outcomes=outcomes))
    by_case = {r.case: r for r in page.rows}
    assert "truth 0, FP" in by_case[NASTY].text and "FP" in by_case[NASTY].classes
    assert "truth 1, FN" in by_case["c5"].text and "FN" in by_case["c5"].classes
    assert "truth unknown, n/a" in by_case["c1"].text
    assert "summarizer score ≥ 0.4" in (tmp_path / "index.html").read_text(encoding="utf-8").replace("&ge;", "≥")


def test_sort_rows_handles_text_and_missing_values():
    rows = [{"case_id": "b", "x_probability": "nan"}, {"case_id": "a", "x_head_probability": "0.7"},
            {"case_id": "c", "x_probability": float("nan")}, {"case_id": "d", "x_probability": "1e-3"}]
    assert [r["case_id"] for r in sort_rows(rows, "x")] == ["a", "d", "b", "c"]
    assert [r["case_id"] for r in sort_rows(rows, None)] == ["a", "b", "c", "d"]
