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
    """One compared method.

    Args:
        name: identifier (file name of its metrics JSON).
        trainer: our trainer family, ``SegCls``, ``Cls`` or ``Multitask``.
        source: score source in the evaluation (``summarizer`` = g's probability, ``head`` = the
            multitask head or the classifier's output, ``<class>_head_probability`` in classification.csv).
        summarizer: ``rule_based`` or a trained method of ``segcls3d summarize fit``.
        layer: ``shallow`` / ``deep`` for the embedding summarizers.
        label: name in tables and plots.
    """

    name: str
    trainer: str
    source: str
    summarizer: str
    label: str
    layer: Optional[str] = None

    @property
    def is_rule_based(self) -> bool:
        """A fixed rule (no fitting, no out-of-fold probabilities needed)."""
        return self.summarizer in (RULE_BASED, RULE_BASED_TAU10)

    @property
    def summarizer_id(self) -> str:
        """Identifies the summarizer (and so the prediction folder) within a job."""
        return self.summarizer if self.layer is None else f"{self.summarizer}_{self.layer}"


SEGCLS_G = Method("segcls_g", "SegCls", "summarizer", RULE_BASED, "SegCls (rule-based g)")
SEGCLS_G_TAU10 = Method("segcls_g_tau10", "SegCls", "summarizer", RULE_BASED_TAU10, "SegCls (g, tau = 10 voxels)")
CLS = Method("cls", "Cls", "head", RULE_BASED, "Cls (classification)")  # predict writes its output as the head
MULTITASK_HEAD = Method("multitask_head", "Multitask", "head", RULE_BASED, "Multitask (head)")
MULTITASK_G = Method("multitask_g", "Multitask", "summarizer", RULE_BASED, "Multitask (rule-based g)")
BASE_METHODS: tuple[Method, ...] = (SEGCLS_G, SEGCLS_G_TAU10, CLS, MULTITASK_HEAD, MULTITASK_G)

TRAINED_SUMMARIZER_METHODS: tuple[Method, ...] = (
    Method("segcls_threshold", "SegCls", "summarizer", "threshold", "SegCls (tuned threshold)"),
    Method("segcls_fc", "SegCls", "summarizer", "fc", "SegCls (FC on map)"),
    Method("segcls_gap_fc", "SegCls", "summarizer", "gap_fc", "SegCls (GAP + FC)"),
    Method("segcls_cnn", "SegCls", "summarizer", "cnn", "SegCls (CNN on map)"),
    Method("segcls_emb_simple_shallow", "SegCls", "summarizer", "embedding_simple", "SegCls (emb. simple, shallow)",
           "shallow"),
    Method("segcls_emb_simple_deep", "SegCls", "summarizer", "embedding_simple", "SegCls (emb. simple, deep)", "deep"),
    Method("segcls_emb_complex_shallow", "SegCls", "summarizer", "embedding_complex",
           "SegCls (emb. complex, shallow)", "shallow"),
    Method("segcls_emb_complex_deep", "SegCls", "summarizer", "embedding_complex", "SegCls (emb. complex, deep)",
           "deep"),
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


def rule_parameters(method: Method, suite_tau: float) -> Optional[dict]:
    """``{"threshold", "tau", "tau_unit"}`` of a method scored by a rule-based g.

    None for trained summarizers and for methods scored by a head (the classifier, the multitask
    head), whose score does not depend on g. ``suite_tau`` is the suite's tau for the dataset's
    dimension (``Suite.rule_tau``). Records carry these parameters, so results computed with another
    rule are recognised as stale.
    """
    if method.source != "summarizer":
        return None
    if method.summarizer == RULE_BASED:
        return {"threshold": 0.5, "tau": float(suite_tau), "tau_unit": "voxels"}
    if method.summarizer == RULE_BASED_TAU10:
        return {"threshold": 0.5, "tau": LIBRARY_DEFAULT_TAU, "tau_unit": "voxels"}
    return None


def rule_tau_of(method: Method, suite_tau: float) -> float:
    """tau (voxels) of the rule-based g that ``method``'s prediction uses (also for head methods)."""
    return LIBRARY_DEFAULT_TAU if method.summarizer == RULE_BASED_TAU10 else float(suite_tau)


def method_label(name: str) -> str:
    """Display name of a method (its name if unknown)."""
    method = ALL_METHODS.get(name)
    return method.label if method else name
