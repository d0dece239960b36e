"""Which ``<class>_probability`` columns hold probabilities in [0, 1] and which only a ranking score.

``segcls3d predict`` writes the summarizer's settings into ``classes.json`` next to
classification.csv: ``{"summarizer": {"kind": "rule_based", "score": "soft_volume", ...}}``, or for
a tuned summarizer one rule per class, ``{"summarizer": {"rules": {"<class>": {"score": ...}}}}``.
The ``soft_volume`` score is an expected volume in mm^3 (a rank, not a probability), so values above
1 are expected there. A calibrated summarizer (``{"kind": "calibrated", "summarizer": {...},
"calibrators": {"<class>": ...}}``) writes calibrated probabilities for its calibrated classes, whatever
the wrapped score. Every other column (head probabilities, unknown summarizers, no classes.json)
must lie in [0, 1].

Example:
    >>> ranking_classes({"kind": "rule_based", "score": "soft_volume"}, ["lesion"])
    {'lesion'}
    >>> ranking_classes({"rules": {"a": {"score": "paper"}, "b": {"score": "soft_volume"}}}, ["a", "b"])
    {'b'}
    >>> ranking_classes({"kind": "calibrated", "summarizer": {"score": "soft_volume"}, "calibrators": {"lesion": {}}},
    ...                 ["lesion"])
    set()
    >>> ranking_classes(None, ["lesion"])
    set()
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Iterable, Optional, Union

PathLike = Union[str, Path]
logger = logging.getLogger(__name__)

#: summarizer scores that are ranks, not probabilities (segcls3d.summarize.scores: all but PROBABILITY_SCORES)
RANKING_SCORES = frozenset({"soft_volume"})


def ranking_classes(summarizer: Optional[Any], classes: Iterable[str]) -> set[str]:
    """Classes whose summarizer column holds a ranking score, from the ``"summarizer"`` block of classes.json.

    Anything not recognised (no block, another layout) counts as a probability.
    """
    if not isinstance(summarizer, dict):
        return set()
    calibrators = summarizer.get("calibrators")
    if isinstance(calibrators, dict):  # calibrated classes hold probabilities; the others keep the wrapped score
        return {c for c in ranking_classes(summarizer.get("summarizer"), classes) if c not in calibrators}
    rules = summarizer.get("rules")
    if isinstance(rules, dict):
        return {c for c in classes if isinstance(rules.get(c), dict) and rules[c].get("score") in RANKING_SCORES}
    return set(classes) if summarizer.get("score") in RANKING_SCORES else set()


def load_ranking_classes(path: PathLike, classes: Iterable[str]) -> set[str]:
    """:func:`ranking_classes` of the classes.json at ``path``; empty when it is missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        return set()
    try:
        block = json.loads(path.read_text()).get("summarizer")
    except (OSError, ValueError, AttributeError) as exc:
        logger.debug("%s: summarizer settings not readable (%s); scores must be probabilities", path, exc)
        return set()
    return ranking_classes(block, classes)
