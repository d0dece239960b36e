"""nnUNetTrainerGLAM in the trainer family: one module in trainers/, plain inheritance, nnU-Net's signature."""
from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path

from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

from segcls3d.training.cls import nnUNetTrainerCls
from segcls3d.training.glam import nnUNetTrainerGLAM
from segcls3d.training.schedule import ScheduleMixin

MODULE = Path(__file__).resolve().parents[2] / "trainers" / "nnUNetTrainerGLAM.py"
NAMES = ["nnUNetTrainerGLAM", "nnUNetTrainerGLAM_5epochs", "nnUNetTrainerGLAM_demo", "nnUNetTrainerGLAM_exp"]


def _exported() -> dict[str, type]:
    spec = importlib.util.spec_from_file_location(MODULE.stem, MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {k: v for k, v in vars(module).items() if k.startswith("nnUNetTrainer") and isinstance(v, type)}


def test_glam_is_the_classifier_with_its_own_network_and_stages():
    exported = _exported()
    assert sorted(exported) == NAMES
    assert nnUNetTrainerGLAM.__bases__ == (nnUNetTrainerCls,)
    for name in NAMES[1:]:
        assert exported[name].__bases__ == (ScheduleMixin, nnUNetTrainerGLAM)
    expected = list(inspect.signature(nnUNetTrainer.__init__).parameters)
    for cls in exported.values():
        assert list(inspect.signature(cls.__init__).parameters) == expected
    assert isinstance(inspect.getattr_static(nnUNetTrainerGLAM, "build_network_architecture"), staticmethod)


def test_nnunet_finds_the_glam_trainers(monkeypatch):
    from nnunetv2.utilities import find_objects

    monkeypatch.setenv("nnUNet_extTrainer", str(MODULE.parent))
    for name in NAMES:
        assert find_objects.recursive_find_trainer_class_by_name(name).__name__ == name
