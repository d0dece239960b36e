"""Typed location-aware error analysis of one class: findings found or missed, false-positive blobs, per region.

A *finding* is a connected component of the ground truth, a *detection* one of the prediction (full
connectivity). Per case: every true component (found or missed) and every false-positive component
with size (voxels, mm^3) and centroid (voxel index z, y, x and world x, y, z in mm). For classes made
of several labels (e.g. vertebrae C1..C7 as labels 1..7) also, per label, whether it is truly
present, predicted, and detected (the same label predicted on at least one of its voxels).
Totals are computed from the per-case lists, so ``from_dict(to_dict())`` gives back the same object.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from segcls3d.evaluate.estimate import optional_float

__all__ = ["LocatedComponent", "RegionOutcome", "RegionCounts", "CaseLocation", "ClassLocation"]


@dataclass(frozen=True)
class LocatedComponent:
    """One connected component: size, centroid, the label ids inside it, and (true components) found or not."""

    size_voxels: int
    size_mm3: float
    centroid_voxel: tuple[float, ...]  # index order (z, y, x)
    centroid_world: tuple[float, ...]  # (x, y, z) mm
    label_ids: tuple[int, ...]
    found: Optional[bool] = None  # None for false-positive components

    def to_dict(self) -> dict[str, Any]:
        out = {"size_voxels": self.size_voxels, "size_mm3": self.size_mm3, "centroid_voxel": list(self.centroid_voxel),
               "centroid_world": list(self.centroid_world), "label_ids": list(self.label_ids)}
        return {**out, "found": self.found} if self.found is not None else out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "LocatedComponent":
        found = d.get("found")
        return cls(int(d["size_voxels"]), float(d["size_mm3"]), tuple(float(v) for v in d["centroid_voxel"]),
                   tuple(float(v) for v in d["centroid_world"]), tuple(int(i) for i in d["label_ids"]),
                   None if found is None else bool(found))


@dataclass(frozen=True)
class RegionOutcome:
    """One label id of a multi-label class in one case."""

    label_id: int
    present: bool  # in the ground truth
    predicted: bool
    detected: bool  # present and predicted on at least one of its true voxels

    def to_dict(self) -> dict[str, Any]:
        return {"label_id": self.label_id, "present": self.present, "predicted": self.predicted,
                "detected": self.detected}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "RegionOutcome":
        return cls(int(d["label_id"]), bool(d["present"]), bool(d["predicted"]), bool(d["detected"]))


@dataclass(frozen=True)
class RegionCounts:
    """Per label over all cases: truly present, detected, missed, and false positive (predicted, absent)."""

    label_id: int
    n_present: int
    n_detected: int
    n_missed: int
    n_false_positive: int

    def to_dict(self) -> dict[str, int]:
        return {"label_id": self.label_id, "n_present": self.n_present, "n_detected": self.n_detected,
                "n_missed": self.n_missed, "n_false_positive": self.n_false_positive}


@dataclass(frozen=True)
class CaseLocation:
    """True components (found or missed) and false-positive components of one class in one case."""

    true_components: tuple[LocatedComponent, ...]
    false_positives: tuple[LocatedComponent, ...]
    n_pred_components: int
    regions: tuple[RegionOutcome, ...] = ()  # only for classes with several label ids

    @property
    def n_found(self) -> int:
        return sum(bool(c.found) for c in self.true_components)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "n_true_components": len(self.true_components), "n_found": self.n_found,
            "n_pred_components": self.n_pred_components, "n_false_positive_components": len(self.false_positives),
            "true_components": [c.to_dict() for c in self.true_components],
            "false_positives": [c.to_dict() for c in self.false_positives],
        }
        if self.regions:
            out["regions"] = [r.to_dict() for r in self.regions]
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "CaseLocation":
        return cls(tuple(LocatedComponent.from_dict(c) for c in d["true_components"]),
                   tuple(LocatedComponent.from_dict(c) for c in d["false_positives"]), int(d["n_pred_components"]),
                   tuple(RegionOutcome.from_dict(r) for r in d.get("regions", ())))


@dataclass(frozen=True)
class ClassLocation:
    """Location-aware errors of one class over all cases with both masks."""

    label_ids: tuple[int, ...]
    per_case: dict[str, CaseLocation] = field(default_factory=dict)

    @property
    def n_cases(self) -> int:
        return len(self.per_case)

    @property
    def n_true_components(self) -> int:
        return sum(len(c.true_components) for c in self.per_case.values())

    @property
    def n_found(self) -> int:
        return sum(c.n_found for c in self.per_case.values())

    @property
    def n_false_positive_components(self) -> int:
        return sum(len(c.false_positives) for c in self.per_case.values())

    @property
    def component_recall(self) -> Optional[float]:
        """Found / true components; None without true components."""
        return self.n_found / self.n_true_components if self.n_true_components else None

    @property
    def false_positives_per_case(self) -> Optional[float]:
        return self.n_false_positive_components / self.n_cases if self.n_cases else None

    def region_counts(self) -> list[RegionCounts]:
        """Per label id (classes with several label ids only; otherwise empty)."""
        outcomes: dict[int, list[RegionOutcome]] = {}
        for case in self.per_case.values():
            for r in case.regions:
                outcomes.setdefault(r.label_id, []).append(r)
        return [RegionCounts(label, sum(r.present for r in rs), sum(r.detected for r in rs),
                             sum(r.present and not r.detected for r in rs),
                             sum(r.predicted and not r.present for r in rs))
                for label, rs in sorted(outcomes.items())]

    def totals(self) -> dict[str, Any]:
        return {"n_cases": self.n_cases, "n_true_components": self.n_true_components, "n_found": self.n_found,
                "n_missed": self.n_true_components - self.n_found, "component_recall": self.component_recall,
                "n_false_positive_components": self.n_false_positive_components,
                "false_positives_per_case": optional_float(self.false_positives_per_case)}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"label_ids": list(self.label_ids), "totals": self.totals()}
        regions = self.region_counts()
        if regions:
            out["per_label"] = [r.to_dict() for r in regions]
        out["per_case"] = {case: c.to_dict() for case, c in self.per_case.items()}
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ClassLocation":
        return cls(tuple(int(i) for i in d["label_ids"]),
                   {str(case): CaseLocation.from_dict(c) for case, c in d["per_case"].items()})
