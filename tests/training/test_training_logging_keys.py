"""Per-epoch logging helpers: nnU-Net's EMA rule and NaN handling."""
from __future__ import annotations

import math

import pytest

from segcls3d.training.logging_keys import mean_known, moving_average

NAN = float("nan")


def test_moving_average_is_nnunets_rule():
    assert moving_average([], 0.6) == 0.6
    assert moving_average([0.6], 0.8) == pytest.approx(0.9 * 0.6 + 0.1 * 0.8)


def test_moving_average_skips_undefined_epochs():
    assert math.isnan(moving_average([], NAN))
    assert moving_average([0.5, NAN], NAN) == 0.5
    assert moving_average([0.5, NAN], 1.0) == pytest.approx(0.55)


def test_mean_known():
    assert mean_known([0.5, NAN, 1.0]) == 0.75
    assert math.isnan(mean_known([NAN]))
    assert math.isnan(mean_known([]))


def test_keys_survive_a_checkpoint_saved_without_them():
    """nnU-Net's logger replaces its dict on loading: our keys come back, padded to the current epoch."""
    from nnunetv2.training.logging.nnunet_logger import MetaLogger

    from segcls3d.training.logging_keys import moving_averages, register_logging_keys

    logger = MetaLogger(None, resume=False)
    old = {k: [0.1, 0.2, 0.3] for k in logger.local_logger.my_fantastic_logging}
    old["val_auroc"] = [0.5, NAN, 0.9]  # a classifier checkpoint from before ema_val_auroc existed
    logger.load_checkpoint(old)
    register_logging_keys(logger, ["val_auroc", "ema_val_auroc"], epochs=3)
    log = logger.local_logger.my_fantastic_logging
    assert log["val_auroc"][0] == 0.5 and math.isnan(log["val_auroc"][1]) and log["val_auroc"][2] == 0.9
    assert len(log["ema_val_auroc"]) == 3 and all(math.isnan(v) for v in log["ema_val_auroc"])
    logger.log("ema_val_auroc", 0.7, 3)  # the next epoch's value lands at index 3
    assert log["ema_val_auroc"][3] == 0.7
    assert moving_averages([0.5, NAN, 0.9]) == pytest.approx([0.5, 0.5, 0.9 * 0.5 + 0.1 * 0.9])
