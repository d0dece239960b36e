"""The image-level class names a segcls3d trainer records in the plans it saves with the model.

``build_network_architecture`` is a staticmethod that only sees the plans, so the class names go
into the plans' configuration: a classification head can then be sized at inference time too.
"""
from __future__ import annotations

from copy import deepcopy

from segcls3d.labels import class_definitions

CLASSES_KEY = "segcls3d_classes"


def store_classes(plans: dict, configuration: str, dataset_json: dict) -> dict:
    """A copy of ``plans`` whose configuration records the image-level class names of ``dataset_json``."""
    plans = deepcopy(plans)
    plans["configurations"][configuration][CLASSES_KEY] = [c.name for c in class_definitions(dataset_json)]
    return plans


def class_names_from_configuration(configuration: dict) -> list[str]:
    """Image-level class names stored by :func:`store_classes` in a plans configuration.

    Raises:
        KeyError: the plans were not written by a segcls3d trainer (no head can be sized).
    """
    names = configuration.get(CLASSES_KEY)
    if not names:
        raise KeyError(f"the plans configuration has no '{CLASSES_KEY}': this model was not trained with a "
                       "segcls3d trainer")
    return list(names)
