"""A validation case as nnU-Net's preprocessed dataset holds it, ready for a network."""
from __future__ import annotations

import numpy as np
from nnunetv2.utilities.label_handling.label_handling import convert_labelmap_to_one_hot


def load_network_input(dataset, key: str, label_manager) -> np.ndarray:
    """The case's image, with the previous stage's one-hot segmentation appended in a cascade."""
    data, _, seg_prev, _ = dataset.load_case(key)
    data = np.asarray(data[:])
    if seg_prev is None:
        return data
    one_hot = convert_labelmap_to_one_hot(np.asarray(seg_prev[:]), label_manager.foreground_labels,
                                          output_dtype=data.dtype)
    return np.vstack((data, one_hot))
