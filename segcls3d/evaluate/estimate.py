"""A metric value with its bootstrap confidence interval, and the JSON conversions of undefined numbers.

Undefined numbers (NaN, infinity) are ``None``, as in the JSON that ``segcls3d evaluate`` writes.

Example:
    >>> e = Estimate.of(0.91, None)
    >>> e.to_dict()
    {'value': 0.91, 'ci_lower': None, 'ci_upper': None}
    >>> Estimate.from_dict(e.to_dict()) == e
    True
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from segcls3d.metrics.bootstrap import ConfidenceInterval

__all__ = ["Estimate", "optional_float", "optional_int"]


def optional_float(value: Any) -> Optional[float]:
    """``float(value)``, or None for None, NaN and infinity (undefined in strict JSON)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def optional_int(value: Any) -> Optional[int]:
    """``int(value)``, or None for None."""
    return None if value is None else int(value)


@dataclass(frozen=True)
class Estimate:
    """A metric value with its bootstrap confidence interval (bounds None without an interval)."""

    value: Optional[float]
    ci_lower: Optional[float] = None
    ci_upper: Optional[float] = None

    @classmethod
    def of(cls, value: Any, ci: Optional[ConfidenceInterval] = None) -> "Estimate":
        """From a raw value (NaN allowed) and an optional interval."""
        if ci is None:
            return cls(optional_float(value))
        return cls(optional_float(value), optional_float(ci.lower), optional_float(ci.upper))

    def to_dict(self) -> dict[str, Optional[float]]:
        return {"value": self.value, "ci_lower": self.ci_lower, "ci_upper": self.ci_upper}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Estimate":
        return cls(optional_float(d.get("value")), optional_float(d.get("ci_lower")), optional_float(d.get("ci_upper")))
