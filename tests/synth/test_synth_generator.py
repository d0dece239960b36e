"""generate_case: determinism, label and knob distributions, masks."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage

from segcls3d.synth.config import SynthConfig
from segcls3d.synth.generator import case_id, case_rngs, generate_case, sample_objects
from segcls3d.synth.kinds import TARGET_LEVEL

SMALL_2D = dict(dim=2, shape=(24, 24), n_objects=4, target_size=2.0, spurious_size=3.0)
SMALL_3D = dict(dim=3, shape=(16, 16, 16), n_objects=6, target_size=2.0, spurious_size=3.0)


def _cases(config, split, n):
    return [generate_case(config, split, i) for i in range(n)]


def test_deterministic_given_seed():
    config = SynthConfig(**SMALL_3D, seed=3)
    a, b = generate_case(config, "train", 5), generate_case(config, "train", 5)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.mask, b.mask) and a.objects == b.objects
    other_seed = generate_case(SynthConfig(**SMALL_3D, seed=4), "train", 5)
    assert not np.array_equal(a.image, other_seed.image)
    test_case = generate_case(config, "test", 5)
    assert test_case.case_id != a.case_id and not np.array_equal(a.image, test_case.image)


def test_noise_level_does_not_move_objects():
    a = generate_case(SynthConfig(**SMALL_3D, noise=0.0), "train", 1)
    b = generate_case(SynthConfig(**SMALL_3D, noise=50.0), "train", 1)
    assert a.objects == b.objects and np.array_equal(a.mask, b.mask)


@pytest.mark.parametrize("split, prevalence", [("train", 0.3), ("train", 0.8), ("test", 0.5)])
def test_label_prevalence_within_binomial_tolerance(split, prevalence):
    config = SynthConfig(**SMALL_2D, prevalence=prevalence if split == "train" else 0.9)
    n = 200
    positives = sum(sample_objects(config, split, case_rngs(config.seed, split, i)[0])[0] for i in range(n))
    assert abs(positives - n * prevalence) <= 4 * math.sqrt(n * prevalence * (1 - prevalence))


def test_positive_mask_is_the_target_ball():
    config = SynthConfig(dim=3, shape=(24, 24, 24), n_objects=8, target_size=5.0, spurious_size=4.0, noise=0.0)
    positives = [c for c in _cases(config, "train", 12) if c.label]
    assert positives
    for case in positives:
        assert case.mask.dtype == np.uint8 and set(np.unique(case.mask)) == {0, 1}
        assert ndimage.label(case.mask)[1] == 1
        assert abs(case.mask.sum() - 4 / 3 * math.pi * 5.0**3) / (4 / 3 * math.pi * 5.0**3) < 0.08
        assert np.all(case.image[case.mask == 1] == TARGET_LEVEL)  # visible target voxels only
        centroid = np.array(ndimage.center_of_mass(case.mask))
        assert np.allclose(centroid, case.target_center_zyx, atol=0.5)
        assert case.objects[-1].role == "target"


def test_negatives_have_empty_masks_and_no_target():
    negatives = [c for c in _cases(SynthConfig(**SMALL_3D, prevalence=0.3), "train", 20) if not c.label]
    assert negatives
    for case in negatives:
        assert case.mask.sum() == 0 and case.target is None and case.target_center_zyx is None
        assert all(o.role != "target" for o in case.objects)


def test_object_count_follows_paper():
    for case in _cases(SynthConfig(**SMALL_2D), "train", 20):
        assert len(case.objects) == 4
        assert sum(o.role == "spurious" for o in case.objects) == int(case.spurious_present)


def test_spurious_one_means_present_iff_positive():
    config = SynthConfig(**SMALL_2D, spurious=1.0)
    train = _cases(config, "train", 60)
    assert {c.label for c in train} == {0, 1}
    assert all(c.spurious_present == bool(c.label) for c in train)
    anti = _cases(SynthConfig(**SMALL_2D, spurious=0.0), "train", 30)
    assert all(c.spurious_present != bool(c.label) for c in anti)
    test = _cases(config, "test", 200)  # no dependence in the test split
    agree = sum(c.spurious_present == bool(c.label) for c in test)
    assert abs(agree - 100) <= 4 * math.sqrt(50)


def test_location_bias_one_centres_training_targets():
    config = SynthConfig(**SMALL_3D, location_bias=1.0, prevalence=1.0, test_prevalence=1.0)
    middle = (np.array(config.shape) - 1) / 2
    for case in _cases(config, "train", 10):
        assert np.allclose(case.target_center_zyx, middle)
    test_centres = np.array([c.target_center_zyx for c in _cases(config, "test", 10)])
    assert not np.allclose(test_centres, middle)
    half = SynthConfig(**SMALL_3D, location_bias=0.5, prevalence=1.0)
    for case in _cases(half, "train", 20):
        target = case.target
        allowed = 0.5 * (middle - target.radius)  # half of the range the centre could take
        assert np.all(np.abs(np.array(target.centre) - middle) <= allowed + 1e-9)


def test_size_bias_draws_larger_training_targets_only():
    base = dict(SMALL_2D, shape=(32, 32), prevalence=1.0, test_prevalence=1.0)
    unbiased = _cases(SynthConfig(**base), "train", 20)
    assert {c.target.radius for c in unbiased} == {2.0}
    biased = SynthConfig(**base, size_bias=1.0)
    assert {c.target.radius for c in _cases(biased, "train", 30)} == {3.0, 4.0}
    assert {c.target.radius for c in _cases(biased, "test", 10)} == {2.0}
    partly = [c.target.radius for c in _cases(SynthConfig(**base, size_bias=0.5), "train", 200)]
    assert abs(partly.count(2.0) - 100) <= 4 * math.sqrt(50)


def test_2d_cases_are_single_slices():
    case = generate_case(SynthConfig(**SMALL_2D, prevalence=1.0), "train", 0)
    assert case.image.shape == (1, 24, 24) and case.mask.shape == (1, 24, 24)
    assert case.image.dtype == np.float32 and case.target_center_zyx[0] == 0.0


def test_case_ids_unique_across_splits():
    ids = {case_id("train", i) for i in range(50)} | {case_id("test", i) for i in range(50)}
    assert len(ids) == 100
