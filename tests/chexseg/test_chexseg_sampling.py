"""CheXseg's sampling: each sample is an expert case with probability p, forced or not; within a group the
label-aware weights hold. Counted over many batches of the real loader (nnU-Net's nnUNetDataLoader underneath)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from nnunetv2.utilities.label_handling.label_handling import LabelManager

from segcls3d.training.chexseg.loader import CheXsegDataLoader
from segcls3d.training.chexseg.trainer import nnUNetTrainerCheXseg
from segcls3d.training.chexseg.variants import (
    nnUNetTrainerCheXseg_p00,
    nnUNetTrainerCheXseg_p05_exp,
    nnUNetTrainerCheXseg_p10,
)

EXPERT = [f"e{i:02d}" for i in range(10)]
WEAK = [f"w{i:02d}" for i in range(90)]
BATCH, N_BATCHES = 4, 6000


def _loader(p: float, case_probabilities=None, foreground=None, expert=EXPERT) -> CheXsegDataLoader:
    data = SimpleNamespace(identifiers=EXPERT + WEAK)
    labels = LabelManager({"background": 0, "target": 1}, regions_class_order=None)
    return CheXsegDataLoader(data, BATCH, (8, 8), (8, 8), labels, oversample_foreground_percent=0.5,
                             case_probabilities=case_probabilities, foreground_cases=foreground,
                             expert_cases=expert, expert_probability=p)


def _draws(loader: CheXsegDataLoader, seed: int = 0) -> np.ndarray:
    """(N_BATCHES, BATCH) case ids; slots 2 and 3 are foreground-forced (half the batch, nnU-Net's rule)."""
    np.random.seed(seed)
    return np.array([loader.get_indices() for _ in range(N_BATCHES)])


def _tolerance(p: float, n: int) -> float:
    return 4 * np.sqrt(p * (1 - p) / n) + 1e-9  # four binomial standard deviations


@pytest.mark.parametrize("p", [0.9, 0.5, 0.2])
def test_expert_share_is_p_in_forced_and_unforced_slots(p):
    draws = _draws(_loader(p, foreground=set(EXPERT[:3]) | set(WEAK[:5])))
    expert = np.isin(draws, EXPERT)
    for slots in (slice(0, 2), slice(2, 4)):  # unforced, forced
        share = expert[:, slots].mean()
        assert abs(share - p) < _tolerance(p, expert[:, slots].size)
    forced = draws[:, 2:]
    assert set(np.unique(forced)) <= set(EXPERT[:3]) | set(WEAK[:5])  # forced samples come from cases with foreground


def test_within_a_group_the_label_aware_weights_hold():
    weights = {c: (3.0 if c in ("e00", "w00") else 1.0) for c in EXPERT + WEAK}
    total = sum(weights.values())
    draws = _draws(_loader(0.5, case_probabilities={c: w / total for c, w in weights.items()}))[:, :2].ravel()
    n = draws.size
    for case, group_mass in (("e00", 3 + 9), ("e05", 3 + 9), ("w00", 3 + 89)):
        expected = 0.5 * weights[case] / group_mass
        assert abs((draws == case).mean() - expected) < _tolerance(expected, n)


def test_forced_samples_of_a_group_without_foreground_keep_the_share():
    draws = _draws(_loader(0.9, foreground=set(WEAK)))  # no expert case has foreground
    share = np.isin(draws[:, 2:], EXPERT).mean()
    assert abs(share - 0.9) < _tolerance(0.9, draws[:, 2:].size)


@pytest.mark.parametrize("p, expected", [(0.0, 0.0), (1.0, 1.0)])
def test_p_zero_and_one_use_one_group(p, expected):
    assert np.isin(_draws(_loader(p)), EXPERT).mean() == expected


def test_an_empty_group_gives_its_share_to_the_other():
    draws = _draws(_loader(0.9, expert=[]))  # no expert case: every case is weak, drawn uniformly
    share = np.isin(draws[:, :2], EXPERT).mean()  # the 10 "e" cases are weak cases here
    assert abs(share - 0.1) < _tolerance(0.1, draws[:, :2].size)


def test_p_of_the_variants():
    assert nnUNetTrainerCheXseg.expert_probability == 0.9
    assert [c.expert_probability for c in (nnUNetTrainerCheXseg_p00, nnUNetTrainerCheXseg_p05_exp,
                                           nnUNetTrainerCheXseg_p10)] == [0.0, 0.5, 1.0]
    with pytest.raises(ValueError, match="expert_probability"):
        _loader(1.5)
