"""Which preprocessed training cases are unlabeled: their mask is nnU-Net's ignore label everywhere.

An unlabeled case is an image whose ``labelsTr`` mask is all ``ignore`` (write such datasets with
``segcls3d pseudolabel partial --positives ignore``; images without any label are "unknown" there
and get the same mask). nnU-Net's preprocessor records, for datasets with an ignore label, sample
locations of all annotated voxels under the key ``(-1, *all_labels)`` of ``class_locations`` (the
key nnU-Net's data loader keeps as ``annotated_classes_key``); an unlabeled case has none. Stock
nnU-Net trainers simply learn nothing from such cases.
"""
from __future__ import annotations

from os.path import join
from typing import Iterable

from batchgenerators.utilities.file_and_folder_operations import load_pickle

from segcls3d.errors import SegCls3dError


def is_unlabeled(properties: dict, annotated_key: tuple, has_ignore: bool) -> bool:
    """True if the case has no annotated voxel (only possible with an ignore label)."""
    if not has_ignore:
        return False
    locations = properties.get("class_locations", {}).get(tuple(annotated_key))
    return locations is not None and len(locations) == 0


def split_labeled_unlabeled(folder: str, identifiers: Iterable[str], annotated_key: tuple,
                            has_ignore: bool) -> tuple[list[str], list[str]]:
    """(labeled, unlabeled) case ids of a preprocessed folder, from the cases' ``.pkl`` properties."""
    labeled, unlabeled = [], []
    for key in identifiers:
        props = load_pickle(join(folder, f"{key}.pkl"))
        (unlabeled if is_unlabeled(props, annotated_key, has_ignore) else labeled).append(key)
    return labeled, unlabeled


def require_label_training(trainer, what: str) -> None:
    """The semi-supervised trainers use softmax pseudo labels: no region-based or cascaded training.

    Raises:
        SegCls3dError: the dataset is region-based or the configuration is a cascade stage.
    """
    if trainer.label_manager.has_regions:
        raise SegCls3dError(f"{what} supports label (softmax) datasets only, not region-based training")
    if trainer.is_cascaded:
        raise SegCls3dError(f"{what} does not support cascaded configurations")
