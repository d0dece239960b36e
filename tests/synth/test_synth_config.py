"""SynthConfig: defaults, round trip, and clear errors for bad knob values."""
from __future__ import annotations

import pytest

from segcls3d.errors import SegCls3dError
from segcls3d.synth.config import SynthConfig, SynthConfigError


def test_defaults_per_dimension():
    three, two = SynthConfig(), SynthConfig(dim=2)
    assert three.shape == (48, 48, 48) and three.spacing == (1.0, 1.0, 1.0) and three.n_objects == 100
    assert two.shape == (96, 96) and two.spacing == (1.0, 1.0) and two.n_objects == 50
    assert three.spurious_size == 7.5
    assert SynthConfig(spacing=(3.0, 0.75, 0.75)).scale == (4.0, 1.0, 1.0)


def test_round_trip_through_dict():
    config = SynthConfig(dim=2, shape=(64, 80), spacing=(0.5, 0.7), prevalence=0.2, seed=7)
    again = SynthConfig.from_dict(config.to_dict())
    assert again == config and again.to_dict() == config.to_dict()
    with pytest.raises(SynthConfigError, match="unknown"):
        SynthConfig.from_dict({**config.to_dict(), "colour": 1})


def test_split_params_test_is_unbiased():
    config = SynthConfig(prevalence=0.1, spurious=0.95, size_bias=0.8, location_bias=1.0, test_prevalence=0.3)
    train, test = config.split_params("train"), config.split_params("test")
    assert (train.prevalence, train.spurious, train.size_bias, train.location_bias) == (0.1, 0.95, 0.8, 1.0)
    assert (test.prevalence, test.spurious, test.size_bias, test.location_bias) == (0.3, 0.5, 0.0, 0.0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"prevalence": 1.5}, "--prevalence must be between 0 and 1"),
        ({"test_prevalence": -0.1}, "--test-prevalence"),
        ({"spurious": 2}, "--spurious must be"),
        ({"location_bias": 1.01}, "--location-bias"),
        ({"size_bias": -1}, "--size-bias"),
        ({"target_size": 30}, r"target \(--target-size\) with radius 30 voxels is 61 voxels wide"),
        ({"target_size": 0.5}, "at least 1"),
        ({"target_size": 12, "size_bias": 0.5}, "radius 24"),
        ({"spurious_size": 40}, "spurious object"),
        ({"dim": 4}, "--dim must be 2 or 3"),
        ({"dim": 2, "shape": (32, 32, 32)}, "--shape needs 2 sizes"),
        ({"spacing": (1.0, 0.0, 1.0)}, "--spacing needs 3 positive"),
        ({"dim": 2, "spacing": (1.0, 1000.0)}, "reserved for the slice axis"),
        ({"distractor_kinds": 0}, "--distractor-kinds must be between 1 and 29"),
        ({"n_objects": 1}, "--n-objects"),
        ({"n_train": 0}, "--n-train"),
        ({"noise": -1}, "--noise"),
        ({"n_train": 2.5}, "must be an integer"),
    ],
)
def test_bad_values_raise_user_errors(kwargs, message):
    with pytest.raises(SynthConfigError, match=message) as info:
        SynthConfig(**kwargs)
    assert isinstance(info.value, SegCls3dError)


def test_anisotropic_fit_uses_physical_radius():
    # 12 slices of 4 mm: a radius-3 ball (1 mm voxels) spans only 2 slices, so it fits
    SynthConfig(shape=(12, 48, 48), spacing=(4.0, 1.0, 1.0), spurious_size=7.0)
    with pytest.raises(SynthConfigError, match="axis 0"):
        SynthConfig(shape=(6, 48, 48), spacing=(1.0, 1.0, 1.0))
