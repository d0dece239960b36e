"""The location-aware error analysis as markdown: per class totals, per-label table, missed findings, false positives.

``segcls3d evaluate --errors errors.md`` writes it; the same numbers are in the JSON's ``location`` section.
"""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

from segcls3d.evaluate.location_result import ClassLocation, LocatedComponent

__all__ = ["format_error_report"]

_COMPONENT_HEADER = ("case", "voxels", "mm^3", "centroid voxel (z, y, x)", "centroid world (x, y, z) mm", "labels")


def _num(value: Optional[float], digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _point(values: Sequence[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def _table(header: Sequence[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _component_rows(location: ClassLocation, missed: bool) -> list[list[str]]:
    rows = []
    for case, c in location.per_case.items():
        listed: Sequence[LocatedComponent] = (
            [t for t in c.true_components if not t.found] if missed else c.false_positives)
        rows += [[case, str(t.size_voxels), f"{t.size_mm3:.1f}", _point(t.centroid_voxel), _point(t.centroid_world),
                  " ".join(str(i) for i in t.label_ids)] for t in listed]
    return rows


def _class_section(name: str, loc: ClassLocation) -> list[str]:
    t = loc.totals()
    parts = [f"## {name} (label ids {', '.join(str(i) for i in loc.label_ids)})", ""]
    parts += _table(("cases", "true components", "found", "missed", "component recall", "FP components", "FP per case"),
                    [[str(t["n_cases"]), str(t["n_true_components"]), str(t["n_found"]), str(t["n_missed"]),
                      _num(t["component_recall"]), str(t["n_false_positive_components"]),
                      _num(t["false_positives_per_case"], 2)]])
    regions = loc.region_counts()
    if regions:
        parts += ["", "### Per label (region), in cases", ""]
        parts += _table(("label", "present", "detected", "missed", "false positive"),
                        [[str(r.label_id), str(r.n_present), str(r.n_detected), str(r.n_missed),
                          str(r.n_false_positive)] for r in regions])
    for title, missed in (("Missed findings", True), ("False-positive components", False)):
        rows = _component_rows(loc, missed)
        parts += ["", f"### {title}", ""] + (_table(_COMPONENT_HEADER, rows) if rows else ["none"])
    return parts + [""]


def format_error_report(location: Mapping[str, ClassLocation]) -> str:
    """Markdown report of :attr:`EvaluationResult.location` (one section per class)."""
    parts = [
        "# Where the prediction went wrong",
        "",
        "A finding is a connected component of the ground truth, a detection one of the prediction (full "
        "connectivity). A finding is found when at least one of its voxels is predicted as the class; a false "
        "positive is a predicted component that touches no true voxel. Per label (classes with several label "
        "ids): present = in the ground truth, detected = the same label predicted on at least one of its voxels, "
        "false positive = predicted in a case where it is absent. Sizes in voxels and mm^3 (mm^2 for single-slice "
        "images); centroids as voxel index (z, y, x) and world point (x, y, z) in mm.",
        "",
    ]
    if not location:
        return "\n".join(parts + ["No class with label ids was evaluated.", ""])
    for name, loc in location.items():
        parts += _class_section(name, loc)
    return "\n".join(parts)
