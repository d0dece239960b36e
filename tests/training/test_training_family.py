"""The trainer family: the `-tr` names users get, plain inheritance, nnU-Net's constructor signature."""
from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path

import pytest
from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

from segcls3d.training.chexseg.trainer import nnUNetTrainerCheXseg
from segcls3d.training.cls import nnUNetTrainerCls
from segcls3d.training.glam.trainer import nnUNetTrainerGLAM
from segcls3d.training.multimix.trainer import nnUNetTrainerMultiMix
from segcls3d.training.multitask import nnUNetTrainerMultitask
from segcls3d.training.schedule import ScheduleMixin
from segcls3d.training.segcls import nnUNetTrainerSegCls
from segcls3d.training.semisup.companion_checkpoint import CompanionCheckpointMixin
from segcls3d.training.semisup.cross_teach import nnUNetTrainerCrossTeach
from segcls3d.training.semisup.mean_teacher import nnUNetTrainerMeanTeacher
from segcls3d.training.semisup.soft_targets import nnUNetTrainerSoftTargets

TRAINERS = Path(__file__).resolve().parents[2] / "trainers"
IDEAS = ["nnUNetTrainerSegCls", "nnUNetTrainerCls", "nnUNetTrainerMultitask", "nnUNetTrainerMeanTeacher",
         "nnUNetTrainerCrossTeach", "nnUNetTrainerSoftTargets", "nnUNetTrainerCheXseg", "nnUNetTrainerMultiMix",
         "nnUNetTrainerGLAM"]
UNIFORM = [f"nnUNetTrainer{idea}UniformSampling" for idea in ("SegCls", "Cls", "Multitask")]
AVG_POOL = [f"nnUNetTrainer{idea}AvgPool" for idea in ("Cls", "Multitask")]
#: CheXseg's expert probability p without code: one class attribute per variant
EXPERT_PROBABILITY = {"nnUNetTrainerCheXseg_p00": 0.0, "nnUNetTrainerCheXseg_p05": 0.5, "nnUNetTrainerCheXseg_p10": 1.0}
SCHEDULED = [f"nnUNetTrainer{idea}{suffix}" for idea in ("SegCls", "Cls", "Multitask", "CheXseg", "MultiMix", "GLAM")
             for suffix in ("_5epochs", "_demo", "_exp")]


def _exported() -> dict[str, type]:
    """Trainer classes of trainers/*.py, loaded by path as nnU-Net loads them."""
    found = {}
    for path in sorted(TRAINERS.glob("*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found.update({k: v for k, v in vars(module).items() if k.startswith("nnUNetTrainer") and isinstance(v, type)})
    return found


def test_the_short_list_of_trainer_names():
    assert sorted(_exported()) == sorted(IDEAS + UNIFORM + AVG_POOL + SCHEDULED + list(EXPERT_PROBABILITY)
                                         + [f"{name}_exp" for name in EXPERT_PROBABILITY])


def test_chexseg_probability_variants_only_set_p():
    exported = _exported()
    for name, p in EXPERT_PROBABILITY.items():  # p alone, and p on the suite's schedule
        for variant, base in ((name, nnUNetTrainerCheXseg), (f"{name}_exp", exported["nnUNetTrainerCheXseg_exp"])):
            assert exported[variant].__bases__ == (base,)
            assert exported[variant].expert_probability == p and nnUNetTrainerCheXseg.expert_probability == 0.9
            assert set(vars(exported[variant])) - {"__module__", "__doc__", "__qualname__", "__firstlineno__",
                                                   "__static_attributes__"} == {"expert_probability"}


@pytest.mark.parametrize("cls, bases", [
    (nnUNetTrainerSegCls, (nnUNetTrainer,)),
    (nnUNetTrainerCls, (nnUNetTrainerSegCls,)),
    (nnUNetTrainerMultitask, (nnUNetTrainerSegCls,)),
    (nnUNetTrainerMeanTeacher, (CompanionCheckpointMixin, nnUNetTrainerSegCls)),
    (nnUNetTrainerCrossTeach, (CompanionCheckpointMixin, nnUNetTrainerSegCls)),
    (nnUNetTrainerSoftTargets, (nnUNetTrainerSegCls,)),
    (nnUNetTrainerCheXseg, (nnUNetTrainerSegCls,)),
    (nnUNetTrainerMultiMix, (nnUNetTrainerMultitask,)),
    (nnUNetTrainerGLAM, (nnUNetTrainerCls,)),
])
def test_each_trainer_subclasses_its_nearest_relative(cls, bases):
    assert cls.__bases__ == bases


def test_uniform_sampling_variants_only_switch_sampling_off():
    exported = _exported()
    for name in UNIFORM:
        idea = exported[name.replace("UniformSampling", "")]
        assert exported[name].__bases__ == (idea,)
        assert exported[name].positive_fraction is None and idea.positive_fraction == 0.5
        assert exported[name].foreground_share is None and idea.foreground_share == 0.5
        assert set(vars(exported[name])) - {"__module__", "__doc__", "__qualname__", "__firstlineno__",
                                            "__static_attributes__"} == {"positive_fraction", "foreground_share"}


def test_avg_pool_variants_only_change_the_heads_pooling():
    exported = _exported()
    for name in AVG_POOL:
        idea = exported[name.replace("AvgPool", "")]
        assert exported[name].__bases__ == (idea,)
        assert set(vars(exported[name])) - {"__module__", "__doc__", "__qualname__", "__firstlineno__",
                                            "__static_attributes__"} == {"build_network_architecture"}


def test_schedules_only_add_the_schedule_mixin():
    exported = _exported()
    for name in SCHEDULED:
        idea = name.rsplit("_", 1)[0]
        assert exported[name].__bases__ == (ScheduleMixin, exported[idea]), name


def test_every_trainer_keeps_nnunets_constructor_signature():
    expected = list(inspect.signature(nnUNetTrainer.__init__).parameters)
    for name, cls in _exported().items():
        assert list(inspect.signature(cls.__init__).parameters) == expected, name


def test_nnunet_finds_every_name_in_trainers_and_no_test_schedule(monkeypatch):
    from nnunetv2.utilities import find_objects

    monkeypatch.setenv("nnUNet_extTrainer", str(TRAINERS))
    for name in IDEAS + SCHEDULED:
        assert find_objects.recursive_find_trainer_class_by_name(name).__name__ == name
    with pytest.raises(RuntimeError):
        find_objects.recursive_find_trainer_class_by_name("nnUNetTrainerSegCls_smoke")


class _Stock:
    """nnU-Net's trainer attributes that ScheduleMixin sets."""

    def __init__(self, plans, configuration, fold, dataset_json, device):
        self.num_epochs, self.num_iterations_per_epoch, self.num_val_iterations_per_epoch = 1000, 250, 50
        self.initial_lr = 1e-2


def test_schedule_mixin_sets_iterations_and_the_initial_learning_rate():
    from segcls3d.training.schedules import SHORT_SCHEDULE_LR

    class Short(ScheduleMixin, _Stock):
        schedule = (20, 40, None)
        learning_rate = SHORT_SCHEDULE_LR

    class Stock(ScheduleMixin, _Stock):
        schedule = (5, None, None)

    short, stock = Short({}, "2d", 0, {}, None), Stock({}, "2d", 0, {}, None)
    assert (short.num_epochs, short.num_iterations_per_epoch, short.num_val_iterations_per_epoch) == (20, 40, 50)
    assert short.initial_lr == 0.03 and stock.initial_lr == 1e-2
    exported = _exported()
    for name in SCHEDULED:
        expected = SHORT_SCHEDULE_LR if name.endswith(("_demo", "_exp")) else None
        assert exported[name].learning_rate == expected, name


def test_heads_pool_average_and_maximum_unless_the_avg_pool_variant():
    from segcls3d.model.heads import get_head

    spec = importlib.util.spec_from_file_location("glam_fakes", TRAINERS.parent / "tests" / "glam" / "glam_fakes.py")
    fakes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fakes)  # a plans configuration as nnU-Net writes it
    manager = fakes.configuration_manager(2, (32, 32))
    exported = _exported()
    for idea in ("Cls", "Multitask"):
        networks = {name: exported[name].build_network_architecture(None, manager, 1, 2, False)
                    for name in (f"nnUNetTrainer{idea}", f"nnUNetTrainer{idea}AvgPool")}
        heads = {name: net.head if idea == "Cls" else get_head(net) for name, net in networks.items()}
        assert heads[f"nnUNetTrainer{idea}"].pooling == "avgmax"
        assert heads[f"nnUNetTrainer{idea}AvgPool"].pooling == "avg"
