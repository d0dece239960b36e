"""Gather experiment metrics JSONs and aggregate them over seeds (mean and 95% t-interval).

The interval over seeds is ``mean +- t_{0.975, n-1} * sd / sqrt(n)`` (sd with ``ddof=1``); with one
seed there is no interval. Paired differences between two methods use the seeds both have.

Example:
    >>> s = mean_ci([0.7, 0.8, 0.9])
    >>> round(s.mean, 3), round(s.lower, 3), round(s.upper, 3), s.n
    (0.8, 0.552, 1.048, 3)
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

from scipy import stats

from segcls3d.experiments.plan.build import NNUNET_FOLDER, RUNS_FOLDER
from segcls3d.experiments.plan.methods import ALL_METHODS
from segcls3d.experiments.plan.suites import EXPERIMENT_LETTERS


@dataclass(frozen=True)
class MeanCI:
    """Mean over seeds with a two-sided t-interval (None bounds with fewer than 2 values)."""

    mean: Optional[float]
    lower: Optional[float]
    upper: Optional[float]
    n: int

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "ci_lower": self.lower, "ci_upper": self.upper, "n": self.n}


def mean_ci(values: Iterable[Optional[float]], level: float = 0.95) -> MeanCI:
    """Mean and t-interval of the finite values (None/NaN are left out)."""
    data = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    n = len(data)
    if n < 2:
        return MeanCI(data[0] if data else None, None, None, n)
    mean = sum(data) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in data) / (n - 1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return MeanCI(mean, mean - half, mean + half, n)


def metric_value(record: dict, metric: str) -> Optional[float]:
    """``record["metrics"][metric]["value"]`` or None."""
    value = ((record.get("metrics") or {}).get(metric) or {}).get("value")
    return None if value is None or not math.isfinite(float(value)) else float(value)


@dataclass
class ExperimentResults:
    """All ok records of one experiment in one dimension, indexed for tables and plots."""

    name: str
    dim: int
    meta: dict[str, Any]
    values: list[float] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)

    def runs(self, value: float, method: str) -> list[dict]:
        """Records of one cell, sorted by seed."""
        return sorted((r for r in self.records if r["value"] == value and r["method"] == method),
                      key=lambda r: r["seed"])

    def aggregate(self, value: float, method: str, metric: str) -> MeanCI:
        """Mean [95% CI] over seeds of one cell."""
        return mean_ci(metric_value(r, metric) for r in self.runs(value, method))

    def paired_difference(self, value: float, method_a: str, method_b: str, metric: str) -> MeanCI:
        """Mean over seeds of metric(a) - metric(b), pairing runs by seed."""
        a = {r["seed"]: metric_value(r, metric) for r in self.runs(value, method_a)}
        b = {r["seed"]: metric_value(r, metric) for r in self.runs(value, method_b)}
        return mean_ci(a[s] - b[s] for s in sorted(set(a) & set(b)) if a[s] is not None and b[s] is not None)


def load_records(runs_dir: Path) -> tuple[list[dict], list[tuple[str, str]]]:
    """Every run record under ``runs_dir`` (job records and nnU-Net folders skipped) and the unreadable files."""
    records, skipped = [], []
    for folder in sorted(Path(runs_dir).iterdir()):
        if not folder.is_dir() or folder.name in (RUNS_FOLDER, NNUNET_FOLDER):
            continue
        for path in (p for p in sorted(folder.rglob("*.json")) if not p.name.startswith(".tmp_")):
            try:
                data = json.loads(path.read_text())
            except (OSError, ValueError) as exc:
                skipped.append((str(path), f"unreadable: {exc}"))
                continue
            if isinstance(data, dict) and "schema" in data and "experiment" in data:  # not datasets.json and others
                records.append({**data, "_path": str(path)})
    return records, skipped


def group_experiments(records: Sequence[dict]) -> list[ExperimentResults]:
    """Ok records grouped by (experiment, dim), in the paper's order (unknown experiments last)."""
    groups: dict[tuple[str, int], ExperimentResults] = {}
    for r in (r for r in records if r.get("status") == "ok"):
        key = (r["experiment"], int(r["dim"]))
        if key not in groups:
            meta = {k: r.get(k) for k in ("figure", "title", "variable", "x_label", "log_x", "small_target_slice")}
            groups[key] = ExperimentResults(key[0], key[1], meta)
        groups[key].records.append(r)
    known, order = list(ALL_METHODS), list(EXPERIMENT_LETTERS)
    for group in groups.values():
        group.values = sorted({r["value"] for r in group.records})
        group.methods = sorted({r["method"] for r in group.records},
                               key=lambda m: (known.index(m) if m in known else len(known), m))
    return sorted(groups.values(), key=lambda g: (order.index(g.name) if g.name in order else len(order), g.name,
                                                  g.dim))
