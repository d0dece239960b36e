"""Self-supervised pretraining of the plan's encoder (S4MI: DINO and CASS) for label-efficient fine-tuning.

``run.pretrain`` (the ``segcls3d pretrain`` command) trains :class:`~.dino.DINO` or :class:`~.cass.CASS` on
multi-crop views of every preprocessed image (:mod:`.views`, :mod:`.loader`, :mod:`.cases`) and writes the
encoder in a form nnU-Net's ``-pretrained_weights`` and ``segcls3d transfer`` take (:mod:`.state`).
"""
