"""Robust intensity windowing for display: percentiles instead of min/max, so outliers do not wash out the image."""
from __future__ import annotations

import numpy as np

DEFAULT_WINDOW = (1.0, 99.0)  # percentiles mapped to black and white


def window(image: np.ndarray, low: float = DEFAULT_WINDOW[0], high: float = DEFAULT_WINDOW[1]) -> np.ndarray:
    """Map intensities to [0, 1]: the ``low``-th percentile to 0, the ``high``-th to 1, clipped.

    Percentiles are taken over the finite values; NaN and infinities become 0. A flat image (or
    one without finite values) becomes all zeros.

    Raises:
        ValueError: not ``0 <= low < high <= 100``.

    Example:
        >>> window(np.arange(101.0))[[0, 1, 50, 99, 100]].tolist()
        [0.0, 0.0, 0.5, 1.0, 1.0]
    """
    if not 0 <= low < high <= 100:
        raise ValueError(f"need 0 <= low < high <= 100, got low={low}, high={high}")
    values = np.asarray(image, dtype=np.float64)
    finite = np.isfinite(values)
    out = np.zeros(values.shape, dtype=np.float32)
    if not finite.any():
        return out
    lo, hi = np.percentile(values[finite], [low, high])
    if hi <= lo:
        return out
    out[finite] = np.clip((values[finite] - lo) / (hi - lo), 0.0, 1.0)
    return out
