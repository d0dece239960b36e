"""What our trainers add to nnU-Net's per-epoch log, each under its own name."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np


def register_logging_keys(logger, keys: Sequence[str], epochs: int = 0) -> None:
    """Let nnU-Net's logger take ``keys`` (it accepts only keys it knows; one value per epoch each).

    ``epochs``: epochs already logged (after loading a checkpoint that lacks a key, e.g. one saved
    before the key existed): the key is padded with NaN up to there, so that its next value lands on
    the current epoch.
    """
    log = logger.local_logger.my_fantastic_logging
    for key in keys:
        values = log.setdefault(key, [])
        values.extend([float("nan")] * (epochs - len(values)))


def moving_averages(values: Sequence[float]) -> list[float]:
    """:func:`moving_average` replayed over a whole series (to rebuild it from a checkpoint's log)."""
    out: list[float] = []
    for value in values:
        out.append(moving_average(out, value))
    return out


def mean_known(values: Sequence[float]) -> float:
    """Mean over the values that are not NaN; NaN if none is."""
    known = [v for v in values if not math.isnan(v)]
    return float(np.mean(known)) if known else float("nan")


def moving_average(previous: Sequence[float], value: float, weight: float = 0.1) -> float:
    """nnU-Net's EMA of its pseudo Dice (0.9 old + 0.1 new), skipping NaN values."""
    last = next((v for v in reversed(previous) if not math.isnan(v)), None)
    if math.isnan(value):
        return float("nan") if last is None else last
    return value if last is None else (1 - weight) * last + weight * value
