"""pseudolabel glam refuses what it cannot use, before touching any file."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from torch import nn

from segcls3d.errors import InputDataError, ModelFolderError
from segcls3d.pseudolabels.glam import write_glam_dataset


def test_only_a_glam_teacher_and_a_threshold_inside_zero_one(tmp_path):
    segmentation = SimpleNamespace(predictor=SimpleNamespace(network=nn.Conv2d(1, 2, 1)), folder=tmp_path / "seg")
    with pytest.raises(ModelFolderError, match="not a GLAM model"):
        write_glam_dataset(segmentation, tmp_path / "raw", tmp_path / "out")
    with pytest.raises(InputDataError, match="between 0 and 1"):
        write_glam_dataset(segmentation, tmp_path / "raw", tmp_path / "out", threshold=1.0)
    assert not (tmp_path / "out").exists()
