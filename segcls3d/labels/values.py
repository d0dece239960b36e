"""Image-level label values as they appear in CSV cells: the one parser of 0 / 1 / unknown.

``classification_labels.csv`` (our own format) allows ``0``, ``1`` (also ``0.0``/``1.0``) and an
empty cell for unknown. Tables shipped with public datasets also spell them ``true``/``false``,
``yes``/``no`` and unknown as ``nan``, ``NA``, ``n/a``, ``none`` or ``?``; converters read those with
``lenient=True``.

Example:
    >>> parse_label_value("1.0"), parse_label_value(" 0 "), parse_label_value("")
    (1.0, 0.0, None)
    >>> parse_label_value("yes", lenient=True), parse_label_value("NaN", lenient=True)
    (1.0, None)
"""
from __future__ import annotations

from typing import Optional

TRUE_SPELLINGS = frozenset({"1", "1.0"})
FALSE_SPELLINGS = frozenset({"0", "0.0"})
UNKNOWN_SPELLINGS = frozenset({""})
LENIENT_TRUE = TRUE_SPELLINGS | {"true", "yes"}
LENIENT_FALSE = FALSE_SPELLINGS | {"false", "no"}
LENIENT_UNKNOWN = UNKNOWN_SPELLINGS | {"nan", "na", "n/a", "none", "?"}


def parse_label_value(raw: object, lenient: bool = False) -> Optional[float]:
    """A CSV cell -> 1.0, 0.0 or None (unknown); case and surrounding spaces do not matter.

    Args:
        raw: the cell text.
        lenient: also accept the spellings of public tables (true/yes, false/no, nan/NA/n/a/none/?).

    Raises:
        ValueError: any other value.
    """
    value = str(raw).strip().lower()
    if value in (LENIENT_TRUE if lenient else TRUE_SPELLINGS):
        return 1.0
    if value in (LENIENT_FALSE if lenient else FALSE_SPELLINGS):
        return 0.0
    if value in (LENIENT_UNKNOWN if lenient else UNKNOWN_SPELLINGS):
        return None
    raise ValueError(raw)


def is_unknown_spelling(raw: object) -> bool:
    """Whether a cell spells an unknown value in any accepted way (empty, nan, NA, n/a, none, ?)."""
    return str(raw).strip().lower() in LENIENT_UNKNOWN
