"""Methods compared in the experiments: which trainer, which score source, which summarizing function.

One training (a *job*) can give several methods: a multitask model is scored by its head and by the
rule-based g on its segmentation; a cross-validated SegCls model by every summarizing function.

Example:
    >>> [m.name for m in BASE_METHODS if m.trainer == "Multitask"]
    ['multitask_head', 'multitask_g']
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

RULE_BASED = "rule_based"  # the suite's rule: t = 0.5, tau = Suite.rule_tau of the dimension
RULE_BASED_TAU10 = "rule_based_tau10"  # the library default RuleBasedSummarizer(): t = 0.5, tau = 10 voxels
LIBRARY_DEFAULT_TAU = 10.0


@dataclass(frozen=True)
class Method:
    """One compared method: a trainer family, a score source and a summarizing function."""

    name: str  # identifier: the file name of its records
    trainer: str  # our trainer family: ``SegCls``, ``Cls`` or ``Multitask``
    # score source in the evaluation: ``summarizer`` (g's probability) or ``head`` (the multitask head or the
    # classifier's output, ``<class>_head_probability`` in classification.csv)
    source: str
    summarizer: str  # ``rule_based`` (``_tau10``) or a trained method of ``segcls3d summarize fit``
    label: str  # name in tables and plots
    layer: Optional[str] = None  # ``shallow`` / ``deep`` for the embedding summarizers

    @property
    def is_rule_based(self) -> bool:
        """A fixed rule (no fitting, no out-of-fold probabilities needed)."""
        return self.summarizer in (RULE_BASED, RULE_BASED_TAU10)

    @property
    def summarizer_id(self) -> str:
        """Identifies the summarizer (and so the prediction folder) within a job."""
        return self.summarizer if self.layer is None else f"{self.summarizer}_{self.layer}"

    def rule_tau(self, suite_tau: float) -> float:
        """tau (voxels) of the rule-based g that the prediction uses (also for head methods)."""
        return LIBRARY_DEFAULT_TAU if self.summarizer == RULE_BASED_TAU10 else float(suite_tau)

    def rule(self, suite_tau: float) -> Optional[dict]:
        """``{"threshold", "tau", "tau_unit"}`` of a method scored by a rule-based g (trained g, heads: None)."""
        if self.source != "summarizer" or not self.is_rule_based:
            return None
        return {"threshold": 0.5, "tau": self.rule_tau(suite_tau), "tau_unit": "voxels"}


def _segcls(name: str, summarizer: str, label: str, layer: Optional[str] = None) -> Method:
    return Method(name, "SegCls", "summarizer", summarizer, f"SegCls ({label})", layer)


SEGCLS_G = _segcls("segcls_g", RULE_BASED, "rule-based g")
SEGCLS_G_TAU10 = _segcls("segcls_g_tau10", RULE_BASED_TAU10, "g, tau = 10 voxels")
CLS = Method("cls", "Cls", "head", RULE_BASED, "Cls (classification)")  # predict writes its output as the head
MULTITASK_HEAD = Method("multitask_head", "Multitask", "head", RULE_BASED, "Multitask (head)")
MULTITASK_G = Method("multitask_g", "Multitask", "summarizer", RULE_BASED, "Multitask (rule-based g)")
BASE_METHODS: tuple[Method, ...] = (SEGCLS_G, SEGCLS_G_TAU10, CLS, MULTITASK_HEAD, MULTITASK_G)
TRAINED_SUMMARIZER_METHODS: tuple[Method, ...] = (
    _segcls("segcls_threshold", "threshold", "tuned threshold"),
    _segcls("segcls_fc", "fc", "FC on map"),
    _segcls("segcls_gap_fc", "gap_fc", "GAP + FC"),
    _segcls("segcls_cnn", "cnn", "CNN on map"),
    _segcls("segcls_emb_simple_shallow", "embedding_simple", "emb. simple, shallow", "shallow"),
    _segcls("segcls_emb_simple_deep", "embedding_simple", "emb. simple, deep", "deep"),
    _segcls("segcls_emb_complex_shallow", "embedding_complex", "emb. complex, shallow", "shallow"),
    _segcls("segcls_emb_complex_deep", "embedding_complex", "emb. complex, deep", "deep"),
)
SUMMARIZER_COMPARISON_METHODS: tuple[Method, ...] = (SEGCLS_G, SEGCLS_G_TAU10, *TRAINED_SUMMARIZER_METHODS, CLS,
                                                     MULTITASK_HEAD, MULTITASK_G)
#: Hooper et al. (2023) Figure 7 / Table A8: students trained on a teacher's pseudo masks (rule-based g).
SEGCLS_SEMISUP = Method("segcls_semisup", "SegCls", "summarizer", RULE_BASED, "SegCls, semi-sup (pseudo-labels)")
SEGCLS_BOOSTED = Method("segcls_boosted", "SegCls", "summarizer", RULE_BASED, "SegCls, boosted semi-sup")
SEMISUP_METHODS: tuple[Method, ...] = (CLS, SEGCLS_G, SEGCLS_SEMISUP, SEGCLS_BOOSTED)
#: ``segcls3d pseudolabel`` mode of each student method.
PSEUDOLABEL_MODES = {SEGCLS_SEMISUP.name: "plain", SEGCLS_BOOSTED.name: "boosted"}
ALL_METHODS = {m.name: m for m in (*SUMMARIZER_COMPARISON_METHODS, SEGCLS_SEMISUP, SEGCLS_BOOSTED)}


def method_label(name: str) -> str:
    """Display name of a method (its name if unknown)."""
    method = ALL_METHODS.get(name)
    return method.label if method else name
