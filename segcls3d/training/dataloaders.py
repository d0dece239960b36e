"""nnU-Net's train/val augmenter setup with a pluggable data-loader class.

``nnUNetTrainer.get_dataloaders`` hard-codes ``nnUNetDataLoader``; this is the same pipeline
(transforms, datasets, multi-process augmenters) with the loader class as a parameter.
"""
from __future__ import annotations

from typing import Any, Mapping, Type


def build_augmenters(trainer, loader_class: Type, val_loader_class: Type | None = None,
                     train_options: Mapping[str, Any] | None = None, val_options: Mapping[str, Any] | None = None):
    """Return (train, val) augmenters for ``trainer`` using ``loader_class`` for sampling.

    ``train_options`` / ``val_options`` are extra loader arguments (``sampling_probabilities``, ...).
    """
    from batchgenerators.dataloading.nondet_multi_threaded_augmenter import NonDetMultiThreadedAugmenter
    from batchgenerators.dataloading.single_threaded_augmenter import SingleThreadedAugmenter
    from nnunetv2.training.dataloading.nnunet_dataset import infer_dataset_class
    from nnunetv2.utilities.default_n_proc_DA import get_allowed_n_proc_DA

    if trainer.dataset_class is None:
        trainer.dataset_class = infer_dataset_class(trainer.preprocessed_dataset_folder)
    patch_size = trainer.configuration_manager.patch_size
    ds_scales = trainer._get_deep_supervision_scales()
    rotation, dummy_2d, initial_patch_size, mirror_axes = \
        trainer.configure_rotation_dummyDA_mirroring_and_inital_patch_size()
    lm = trainer.label_manager
    regions = lm.foreground_regions if lm.has_regions else None
    tr_transforms = trainer.get_training_transforms(
        patch_size, rotation, ds_scales, mirror_axes, dummy_2d,
        use_mask_for_norm=trainer.configuration_manager.use_mask_for_norm, is_cascaded=trainer.is_cascaded,
        foreground_labels=lm.foreground_labels, regions=regions, ignore_label=lm.ignore_label)
    val_transforms = trainer.get_validation_transforms(
        ds_scales, is_cascaded=trainer.is_cascaded, foreground_labels=lm.foreground_labels,
        regions=regions, ignore_label=lm.ignore_label)
    dataset_tr, dataset_val = trainer.get_tr_and_val_datasets()
    common = dict(oversample_foreground_percent=trainer.oversample_foreground_percent, sampling_probabilities=None,
                  pad_sides=None, probabilistic_oversampling=trainer.probabilistic_oversampling)
    dl_tr = loader_class(dataset_tr, trainer.batch_size, initial_patch_size, patch_size, lm,
                         transforms=tr_transforms, **{**common, **(train_options or {})})
    dl_val = (val_loader_class or loader_class)(dataset_val, trainer.batch_size, patch_size, patch_size, lm,
                                                transforms=val_transforms, **{**common, **(val_options or {})})
    n_proc = get_allowed_n_proc_DA()
    if n_proc == 0:
        gen_tr, gen_val = SingleThreadedAugmenter(dl_tr, None), SingleThreadedAugmenter(dl_val, None)
    else:
        pin = trainer.device.type == "cuda"
        gen_tr = NonDetMultiThreadedAugmenter(dl_tr, None, n_proc, max(6, n_proc // 2), None, pin, 0.002)
        gen_val = NonDetMultiThreadedAugmenter(dl_val, None, max(1, n_proc // 2), max(3, n_proc // 4), None, pin, 0.002)
    next(gen_tr)
    next(gen_val)
    return gen_tr, gen_val
