"""Which preprocessed cases are unannotated: their mask is nnU-Net's ignore label everywhere.

Such a case is an image with a class label only, or an unlabeled image (write such datasets with
``segcls3d pseudolabel partial --positives ignore``). nnU-Net's preprocessor records, for datasets
with an ignore label, sample locations of all annotated voxels under the key ``(-1, *all_labels)`` of
``class_locations`` (the key nnU-Net's data loader keeps as ``annotated_classes_key``); an unannotated
case has none. The test is per case: a patch of an annotated case can be all ``ignore``, and a
patch of an unannotated case can hold background from the loader's padding.
"""
from __future__ import annotations

from os.path import join
from typing import Iterable

from batchgenerators.utilities.file_and_folder_operations import load_pickle


def annotated_classes_key(all_labels: Iterable[int]) -> tuple:
    """The ``class_locations`` key of all annotated voxels, as nnU-Net's preprocessor and loader build it."""
    return tuple([-1] + list(all_labels))


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
