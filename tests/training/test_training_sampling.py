"""Label-aware sampling: case probabilities on constructed label sets, and the loader's draws."""
from __future__ import annotations

import numpy as np
import pytest
from nnunetv2.utilities.label_handling.label_handling import LabelManager

from segcls3d.training.label_aware_loader import LabelAwareDataLoader
from segcls3d.training.sampling import case_sampling_probabilities, has_foreground, restricted

NAN = np.nan


def test_rare_positives_carry_the_target_fraction():
    labels = np.array([[1.0]] * 3 + [[0.0]] * 57)
    p = case_sampling_probabilities(labels, 0.5)
    assert p.sum() == pytest.approx(1.0)
    assert p[:3].sum() == pytest.approx(0.5)
    assert np.allclose(p[:3], 0.5 / 3) and np.allclose(p[3:], 0.5 / 57)
    p30 = case_sampling_probabilities(labels, 0.3)
    assert p30[:3].sum() == pytest.approx(0.3)


def test_majority_positives_are_balanced_down():
    labels = np.array([[1.0]] * 95 + [[0.0]] * 5)
    p = case_sampling_probabilities(labels, 0.5)
    assert p[:95].sum() == pytest.approx(0.5) and p[95:].sum() == pytest.approx(0.5)


@pytest.mark.parametrize("labels", [np.zeros((10, 1)), np.ones((10, 1)), np.full((10, 2), NAN)])
def test_one_sided_or_unknown_labels_keep_the_uniform_draw(labels):
    assert case_sampling_probabilities(labels, 0.5) is None


def test_switched_off_is_none():
    assert case_sampling_probabilities(np.array([[1.0], [0.0]]), None) is None


def test_unknown_labels_keep_their_natural_share():
    labels = np.array([[1.0], [0.0], [0.0], [0.0], [NAN], [NAN], [NAN], [NAN], [NAN], [NAN]])
    p = case_sampling_probabilities(labels, 0.5)
    assert p[4:].sum() == pytest.approx(0.6)  # 6 of 10 cases unknown
    assert p[0] == pytest.approx(0.2) and p[1:4].sum() == pytest.approx(0.2)


def test_multi_class_each_class_gets_an_equal_share_of_the_positive_mass():
    # class A: 1 case, class B: 4 cases, one case positive for both, 5 negatives; a partly unknown negative row
    labels = np.array([[1, 0], [0, 1], [0, 1], [0, 1], [1, 1], [0, 0], [0, 0], [0, 0], [0, 0], [0, NAN]], float)
    p = case_sampling_probabilities(labels, 0.5)
    assert p.sum() == pytest.approx(1.0)
    share_a = p[0] + p[4] / 2  # the double positive splits its mass between the classes in expectation
    assert p[0] == pytest.approx(0.25 / 2) and p[4] == pytest.approx(0.25 / 2 + 0.25 / 4)
    assert p[1:4].sum() + p[4] - 0.25 / 2 == pytest.approx(0.25)
    assert share_a > 0.1  # the rare class A is not drowned by B
    assert p[5:].sum() == pytest.approx(0.5)  # the negatives, including [0, unknown]


@pytest.mark.parametrize("fraction", [0.0, 1.0, 1.5, -0.1])
def test_bad_fraction_is_an_error(fraction):
    with pytest.raises(ValueError, match="positive_fraction"):
        case_sampling_probabilities(np.array([[1.0], [0.0]]), fraction)


def test_foreground_ignores_the_annotated_key_of_the_ignore_label():
    annotated = (-1, 0, 1)
    assert has_foreground({1: np.zeros((3, 4))}, annotated)
    assert not has_foreground({1: np.zeros((0, 4)), annotated: np.zeros((9, 4))}, annotated)
    assert has_foreground({(1, 2): np.zeros((1, 4))})  # regions
    assert not has_foreground({})


def test_restricted_renormalizes_over_members():
    p = restricted(np.array([0.5, 0.25, 0.25]), [False, True, True])
    assert p.tolist() == [0.0, 0.5, 0.5]
    assert restricted(None, [True, False, True]).tolist() == [0.5, 0.0, 0.5]
    assert restricted(np.array([0.5, 0.5]), [False, False]) is None


class _Cases:
    """The part of nnU-Net's dataset a loader needs to draw case ids."""

    def __init__(self, identifiers):
        self.identifiers = list(identifiers)


def _loader(ids, batch_size=4, **kwargs) -> LabelAwareDataLoader:
    lm = LabelManager({"background": 0, "target": 1}, regions_class_order=None)
    return LabelAwareDataLoader(_Cases(ids), batch_size, (8, 8), (8, 8), lm, oversample_foreground_percent=0.33,
                                **kwargs)


def test_loader_draws_forced_slots_from_foreground_cases_and_balances_the_rest():
    np.random.seed(0)
    ids = [f"case_{i:02d}" for i in range(40)]
    positives = set(ids[:2])  # prevalence 0.05
    labels = np.array([[1.0 if c in positives else 0.0] for c in ids])
    p = dict(zip(ids, case_sampling_probabilities(labels, 0.5)))
    loader = _loader(ids, case_probabilities=p, foreground_cases=positives)
    forced, unforced = [], []
    for _ in range(2000):
        keys = loader.get_indices()
        for j, key in enumerate(keys):
            (forced if loader.get_do_oversample(j) else unforced).append(key in positives)
    assert len(forced) == 2000  # batch 4, 33 %: nnU-Net forces the last slot of each batch
    assert all(forced)
    assert np.mean(unforced) == pytest.approx(0.5, abs=0.03)


def test_loader_without_options_draws_like_nnunet():
    np.random.seed(1)
    ids = [f"case_{i:02d}" for i in range(40)]
    loader = _loader(ids)
    draws = [k for _ in range(2000) for k in loader.get_indices()]
    assert loader.sampling_probabilities is None
    counts = np.array([draws.count(c) for c in ids])
    assert counts.min() > 0.6 * counts.mean()  # uniform over all cases, forced slots included


def test_loader_rejects_probabilities_that_miss_a_case():
    with pytest.raises(ValueError, match="case_01"):
        _loader(["case_00", "case_01"], case_probabilities={"case_00": 1.0})
