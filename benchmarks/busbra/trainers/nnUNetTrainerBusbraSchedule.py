"""The BUS-BRA benchmark's CPU schedule (``_busbra``: 100 epochs x 50 iterations, batch 2 of cpu_small plans).

Benchmark-only, like the tests' ``_smoke``: ``benchmarks/busbra/run_busbra.py`` adds this folder to
``nnUNet_extTrainer``. The demo schedule (30 x 50) left the malignant lesion at pseudo Dice 0.
"""
from segcls3d.training.cls import nnUNetTrainerCls
from segcls3d.training.multitask import nnUNetTrainerMultitask
from segcls3d.training.schedule import ScheduleMixin
from segcls3d.training.segcls import nnUNetTrainerSegCls

BUSBRA_CPU = (100, 50, 10)


class nnUNetTrainerSegCls_busbra(ScheduleMixin, nnUNetTrainerSegCls):
    schedule = BUSBRA_CPU


class nnUNetTrainerCls_busbra(ScheduleMixin, nnUNetTrainerCls):
    schedule = BUSBRA_CPU


class nnUNetTrainerMultitask_busbra(ScheduleMixin, nnUNetTrainerMultitask):
    schedule = BUSBRA_CPU
