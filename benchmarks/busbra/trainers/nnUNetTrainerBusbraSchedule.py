"""The BUS-BRA benchmark's CPU schedules (batch 2 of cpu_small plans).

Benchmark-only, like the tests' ``_smoke``: ``benchmarks/busbra/run_busbra.py`` adds this folder to
``nnUNet_extTrainer``. The demo schedule (30 x 50) left the malignant lesion at pseudo Dice 0.

- ``_busbra``: 100 epochs x 50 iterations at nnU-Net's initial learning rate 1e-2 (the records made
  with it before label-aware sampling became the default used nnU-Net's uniform draw).
- ``_busbra3e2``: the same iterations at the short schedules' initial learning rate 3e-2
  (``SHORT_SCHEDULE_LR``), with the trainers' current default sampling.
- ``_busbra3e2long``: three times as many epochs (300 x 50 iterations) at 3e-2.
"""
from segcls3d.training.cls import nnUNetTrainerCls
from segcls3d.training.multitask import nnUNetTrainerMultitask
from segcls3d.training.schedule import ScheduleMixin
from segcls3d.training.schedules import SHORT_SCHEDULE_LR
from segcls3d.training.segcls import nnUNetTrainerSegCls

BUSBRA_CPU = (100, 50, 10)
BUSBRA_CPU_LONG = (300, 50, 10)


class nnUNetTrainerSegCls_busbra(ScheduleMixin, nnUNetTrainerSegCls):
    schedule = BUSBRA_CPU


class nnUNetTrainerCls_busbra(ScheduleMixin, nnUNetTrainerCls):
    schedule = BUSBRA_CPU


class nnUNetTrainerMultitask_busbra(ScheduleMixin, nnUNetTrainerMultitask):
    schedule = BUSBRA_CPU


class nnUNetTrainerSegCls_busbra3e2(nnUNetTrainerSegCls_busbra):
    learning_rate = SHORT_SCHEDULE_LR


class nnUNetTrainerCls_busbra3e2(nnUNetTrainerCls_busbra):
    learning_rate = SHORT_SCHEDULE_LR


class nnUNetTrainerMultitask_busbra3e2(nnUNetTrainerMultitask_busbra):
    learning_rate = SHORT_SCHEDULE_LR


class nnUNetTrainerSegCls_busbra3e2long(nnUNetTrainerSegCls_busbra3e2):
    schedule = BUSBRA_CPU_LONG


class nnUNetTrainerCls_busbra3e2long(nnUNetTrainerCls_busbra3e2):
    schedule = BUSBRA_CPU_LONG


class nnUNetTrainerMultitask_busbra3e2long(nnUNetTrainerMultitask_busbra3e2):
    schedule = BUSBRA_CPU_LONG
