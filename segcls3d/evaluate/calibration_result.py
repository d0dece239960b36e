"""Typed calibration of one class and score source: Brier score, ECE (with CIs) and the reliability bins.

Only probability scores are calibrated. A ranking score (``soft_volume``) or a class with one label
value has no numbers and says why in ``note`` (``"n/a (ranking score)"``).

Example:
    >>> c = Calibration.not_available(RANKING_NOTE, "ranking", 10)
    >>> c.to_dict()["note"], c.brier.value
    ('n/a (ranking score)', None)
    >>> Calibration.from_dict(c.to_dict()) == c
    True
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from segcls3d.evaluate.estimate import Estimate, optional_float

__all__ = ["RANKING_NOTE", "SINGLE_CLASS_NOTE", "ReliabilityBin", "Calibration"]

RANKING_NOTE = "n/a (ranking score)"
SINGLE_CLASS_NOTE = "n/a (one label value)"


@dataclass(frozen=True)
class ReliabilityBin:
    """One equal-width probability bin: its edges, case count, mean probability and observed frequency."""

    lower: float
    upper: float
    n: int
    mean_predicted: Optional[float]
    observed_frequency: Optional[float]

    def to_dict(self) -> dict[str, Any]:
        return {"lower": self.lower, "upper": self.upper, "n": self.n, "mean_predicted": self.mean_predicted,
                "observed_frequency": self.observed_frequency}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ReliabilityBin":
        return cls(float(d["lower"]), float(d["upper"]), int(d["n"]), optional_float(d["mean_predicted"]),
                   optional_float(d["observed_frequency"]))


@dataclass(frozen=True)
class Calibration:
    """Brier score and expected calibration error (count-weighted, equal-width bins) with bootstrap CIs."""

    score_kind: str  # "probability" or "ranking"
    n_bins: int
    brier: Estimate
    ece: Estimate
    bins: tuple[ReliabilityBin, ...] = ()
    note: Optional[str] = None  # why there are no numbers

    @classmethod
    def not_available(cls, note: str, score_kind: str, n_bins: int) -> "Calibration":
        """No numbers: a ranking score, or a single label value."""
        return cls(score_kind, n_bins, Estimate(None), Estimate(None), (), note)

    @property
    def available(self) -> bool:
        return self.note is None

    def to_dict(self) -> dict[str, Any]:
        return {"score_kind": self.score_kind, "n_bins": self.n_bins, "note": self.note,
                "brier": self.brier.to_dict(), "ece": self.ece.to_dict(), "bins": [b.to_dict() for b in self.bins]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Calibration":
        return cls(str(d["score_kind"]), int(d["n_bins"]), Estimate.from_dict(d["brier"]),
                   Estimate.from_dict(d["ece"]), tuple(ReliabilityBin.from_dict(b) for b in d["bins"]), d.get("note"))
