"""Our nnU-Net trainers (``-tr`` names re-exported in ``trainers/``) and the pieces only training uses.

The family tree: ``nnUNetTrainerSegCls`` (segcls.py) subclasses ``nnUNetTrainer``; ``nnUNetTrainerCls``
(cls.py), ``nnUNetTrainerMultitask`` (multitask.py) and the semi-supervised trainers (semisup/) subclass
it and override their one idea. Schedules (variants.py) add ``ScheduleMixin``.
"""
