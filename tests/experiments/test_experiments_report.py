"""segcls3d report: tables with means / t-intervals over seeds against hand-computed numbers, plots exist."""
from __future__ import annotations

import json
import math

import pytest
from experiment_records import make_record, write_records

from segcls3d.errors import InputDataError
from segcls3d.evaluate.result import ClassMasks
from segcls3d.experiments.report import write_report
from segcls3d.experiments.report.gather import mean_ci
from segcls3d.experiments.report.tables import convergence_table
from segcls3d.experiments.run.records import mask_dice

# t quantiles (0.975): df=1 12.7062047, df=2 4.30265273
BACC = {  # (value, method) -> balanced accuracy per seed 0, 1, 2 (None = no run)
    (20, "segcls_g"): (0.70, 0.80, 0.90),  # mean .8, sd .1 -> half 4.30265*.1/sqrt(3) = .248414
    (20, "cls"): (0.60, 0.60, 0.66),  # mean .62, sd .0346410 -> half .086053
    (80, "segcls_g"): (0.90, 0.90, 0.90),  # zero-width interval
    (80, "cls"): (0.80, 0.90, None),  # two seeds: mean .85, sd .0707107 -> half 12.7062*.0707107/sqrt(2) = .635310
}
AUROC = {(20, "segcls_g"): (0.9, 0.9, 0.9), (20, "cls"): (0.7, 0.8, 0.9), (80, "segcls_g"): (0.95, 0.95, 0.95),
         (80, "cls"): (0.85, 0.95, None)}


@pytest.fixture()
def runs(tmp_path):
    records = []
    for (value, method), baccs in BACC.items():
        for seed, bacc in enumerate(baccs):
            if bacc is None:
                records.append(make_record("training_size", 2, value, seed, method, None, None, status="failed"))
            else:
                records.append(make_record("training_size", 2, value, seed, method, bacc, AUROC[(value, method)][seed]))
    for seed, (detected, n) in enumerate([(20, 30), (25, 30), (30, 30)]):  # (d): recall 2/3, 5/6, 1
        records.append(make_record("size_bias", 3, 0.95, seed, "segcls_g", 0.8, 0.9, small=(detected, n)))
        records.append(make_record("size_bias", 3, 0.95, seed, "cls", 0.6, 0.7, small=(10, 30)))
    for method, bacc in (("segcls_g", 0.8), ("segcls_fc", 0.75), ("cls", 0.6)):
        records.append(make_record("summarizers", 2, 80, 0, method, bacc, bacc + 0.1))
    out = tmp_path / "runs"
    write_records(out, records)
    (out / "datasets.json").write_text(json.dumps({"datasets": {}}))  # not a record: ignored
    (out / "_runs" / "x").mkdir(parents=True)
    (out / "_runs" / "x" / "segcls_g.json").write_text(json.dumps(records[0]))  # job cache: ignored
    return out


def _table_row(markdown: str, section: str, metric: str, first_cell: str) -> list[str]:
    """Cells of the row starting with ``first_cell`` in the mean table of ``metric`` in ``section``."""
    block = markdown.split(section, 1)[1]
    block = block.split(f"**{metric}** (mean [95% CI] over seeds)", 1)[1].split("**", 1)[0]
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell} in {metric} table")


def test_mean_ci_matches_t_interval():
    s = mean_ci([0.6, 0.6, 0.66])
    assert s.mean == pytest.approx(0.62)
    assert s.upper - s.mean == pytest.approx(4.30265273 * math.sqrt(0.0012) / math.sqrt(3), rel=1e-6)
    assert mean_ci([0.5]).lower is None and mean_ci([None, float("nan")]).n == 0


def test_report_tables_and_plots(runs, tmp_path):
    out = write_report(runs, tmp_path / "docs")
    md = out.markdown.read_text()
    assert out.n_records == 4 * 3 + 6 + 3 and out.n_failed == 1
    section = "## (a) training_size, 2D"
    # columns: value, SegCls (rule-based g), Cls
    assert _table_row(md, section, "balanced accuracy", "20")[1:] == ["0.800 [0.552, 1.048]", "0.620 [0.534, 0.706]"]
    assert _table_row(md, section, "balanced accuracy", "80")[1:] == ["0.900 [0.900, 0.900]",
                                                                      "0.850 [0.215, 1.485] (n=2)"]
    assert _table_row(md, section, "AUROC", "20")[1:] == ["0.900 [0.900, 0.900]", "0.800 [0.552, 1.048]"]
    # paired SegCls - Cls over seeds (0.10, 0.20, 0.24): mean .18, sd .0721110 -> half .179134
    assert "| 20 | +0.180 [+0.001, +0.359] | +0.100 [-0.148, +0.348] |" in md
    # per-run bootstrap CIs of the hand-made records
    assert "| 20 | 0 | 0.700 [0.600, 0.800] | 0.600 [0.500, 0.700] |" in md
    # the overview repeats the AUROC and balanced accuracy cells and the paired differences, one row per value
    assert ("| (a) training_size | 2D | n_train=20 | 3 | 0.900 [0.900, 0.900] | 0.800 [0.552, 1.048] | "
            "+0.100 [-0.148, +0.348] | 0.800 [0.552, 1.048] | 0.620 [0.534, 0.706] | +0.180 [+0.001, +0.359] "
            "| n/a |") in md
    assert md.index("## Overview") < md.index("## (a) training_size, 2D")
    # (d): small-target recall 2/3, 5/6, 1 -> mean .833333, sd .166667 -> half .414033
    assert "## (d) size_bias, 3D" in md
    # one swept value: methods as rows (balanced accuracy, AUROC, small-target recall, AUROC paired with SegCls)
    block = md.split("## (d) size_bias, 3D", 1)[1]
    assert ("| SegCls (rule-based g) | 3 | 0.800 [0.800, 0.800] | 0.900 [0.900, 0.900] | 0.833 [0.419, 1.247] "
            "| n/a |") in block
    assert ("| Cls (classification) | 3 | 0.600 [0.600, 0.600] | 0.700 [0.700, 0.700] | 0.333 [0.333, 0.333] "
            "| -0.200 [-0.200, -0.200] |") in block
    assert "0.667 (20/30)" in md
    # (h): one value, one seed: methods as rows (balanced accuracy, AUROC, AUROC paired with SegCls)
    block = md.split("## (h) summarizers, 2D", 1)[1].split("**Methods side by side** at n_train=80", 1)[1]
    assert "| SegCls (FC on map) | 1 | 0.750 (1 seed) | 0.850 (1 seed) | -0.050 (1 seed) |" in block
    assert "| SegCls (rule-based g) | 1 | 0.800 (1 seed) | 0.900 (1 seed) | n/a |" in block
    assert "| Cls (classification) | 1 | 0.600 (1 seed) | 0.700 (1 seed) | -0.200 (1 seed) |" in block
    assert "## Failed runs" in md and "nnUNetv2_train failed" in md
    names = sorted(p.name for p in out.plots)
    assert names == ["a_training_size_2d.png", "d_size_bias_3d.png", "h_summarizers_2d.png"]
    for plot in out.plots:
        assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"]({plot.name})" in md
    summary = json.loads(out.summary.read_text())
    cell = next(c for c in summary["experiments"][0]["cells"] if c["value"] == 20 and c["method"] == "cls")
    assert cell["balanced_accuracy"]["mean"] == pytest.approx(0.62) and cell["balanced_accuracy"]["n"] == 3
    assert not list((tmp_path / "docs").glob(".tmp_*"))


def test_report_without_records_is_a_user_error(tmp_path):
    with pytest.raises(InputDataError, match="no experiment metrics JSON"):
        write_report(tmp_path, tmp_path / "docs")
    with pytest.raises(InputDataError, match="not a folder"):
        write_report(tmp_path / "missing", tmp_path / "docs")


def test_semisup_report_has_the_table_a8_analogue(tmp_path):
    counts = {"cls": (0, 8, 0), "segcls_g": (8, 0, 0), "segcls_boosted": (8, 72, 0)}
    records = []
    for fraction, base in ((0.1, 0.6), (1.0, 0.8)):
        for seed in (0, 1, 2):
            for method, (seg, cls_only, none) in counts.items():
                if method == "segcls_boosted" and fraction == 1.0:
                    continue
                bonus = {"cls": 0.0, "segcls_g": 0.1, "segcls_boosted": 0.15}[method]
                value = round(base + bonus + 0.01 * seed, 6)
                record = make_record("semisup", 3, fraction, seed, method, value, value)
                record["labels"] = {"seg_and_class": seg if fraction < 1 else 10 * seg,
                                    "class_only": cls_only if fraction < 1 else 10 * cls_only, "none": none}
                records.append(record)
    write_records(tmp_path / "runs", records)
    out = write_report(tmp_path / "runs", tmp_path / "docs")
    text = out.markdown.read_text()
    section = text[text.index("Table A8 analogue"):]
    rows = [line for line in section.splitlines() if line.startswith("| SegCls, boosted")]
    # one row (only at 0.1); AUROC mean over seeds 0.75, 0.76, 0.77 = 0.760; t-interval +- 4.303 * 0.01 / sqrt(3)
    assert rows == ["| SegCls, boosted semi-sup | 0.1 | 8 | 72 | 0 | 0.760 [0.735, 0.785] | 0.760 [0.735, 0.785] "
                    "| n/a | n/a | n/a |"]
    assert "| Cls (classification) | 1 | 0 | 80 | 0 | 0.810 [0.785, 0.835]" in section  # 0.80, 0.81, 0.82
    assert "(i) semisup, 3D" in text


def _masks(dice_positive):
    return ClassMasks(label_ids=(1,), n_both_empty=0, n_gt_nonempty=23, dice_mean=0.5, iou_mean=0.4,
                      n_gt_positive=23, dice_mean_gt_positive=dice_positive, iou_mean_gt_positive=None)


def test_mask_dice_takes_the_positive_cases_mean():
    assert mask_dice(_masks(0.97)) == {"value": 0.97, "ci_lower": None, "ci_upper": None, "n": 23}
    assert mask_dice(None)["value"] is None  # a classifier: no masks
    assert mask_dice(_masks(float("nan")))["value"] is None


def test_convergence_table_splits_datasets_by_segcls_dice_and_counts_shared_datasets_once():
    records = []
    # (dataset key, seg dice, seg auroc, cls auroc); "d0" is shared by two experiments and must count once
    for key, dice, seg, cls in (("d0", 0.9, 1.0, 0.6), ("d1", 0.8, 0.98, 0.7), ("d2", 0.0, 0.5, 0.55)):
        for experiment in (("training_size", "size_bias") if key == "d0" else ("training_size",)):
            for method, auroc in (("segcls_g", seg), ("cls", cls)):
                r = make_record(experiment, 3, 80, 0, method, 0.5, auroc)
                r["dataset"] = {"key": key}
                if method == "segcls_g":
                    r["metrics"]["dice_positive"] = {"value": dice}
                records.append(r)
    rows = convergence_table(records).splitlines()[2:]
    assert len(rows) == 2
    trained = [c.strip() for c in rows[0].strip("|").split("|")]
    # trained: datasets d0, d1 -> SegCls 0.99, Cls 0.65, paired diff mean (0.4 + 0.28) / 2 = 0.34
    assert trained[:3] == ["3D", ">= 0.5 (trained)", "2"]
    assert trained[3].startswith("0.990 [") and trained[4].startswith("0.650 [") and trained[5].startswith("+0.340 [")
    half = mean_ci([0.4, 0.28]).upper - 0.34
    assert trained[5] == f"+0.340 [{0.34 - half:+.3f}, {0.34 + half:+.3f}]"
    not_trained = [c.strip() for c in rows[1].strip("|").split("|")]
    assert not_trained[:6] == ["3D", "< 0.5 (not trained)", "1", "0.500 (1 seed)", "0.550 (1 seed)", "-0.050 (1 seed)"]
