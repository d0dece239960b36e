"""From network output channels (or label maps) to one map per image-level class.

A class is a group of output channels: with softmax over labels channel ``i`` is label ``i``; with
nnU-Net region-based training (sigmoid per region) channel ``i`` is region ``i``. Mapping class
label ids to channels is the caller's job (it knows the dataset.json); here a class map is simply
the sum of its channels.
"""
from __future__ import annotations

import logging
from typing import Iterable, Mapping, Sequence

import numpy as np

logger = logging.getLogger(__name__)


def class_probability_maps(
    probabilities: np.ndarray, channel_groups: Mapping[str, Sequence[int]]
) -> dict[str, np.ndarray]:
    """Per-class probability maps: the sum of each class's channels, clipped to [0, 1], as float32.

    Summing is right for softmax outputs (the probability that a voxel has any of the class's
    labels); for overlapping sigmoid regions the clip keeps the map in [0, 1].

    Args:
        probabilities: array (C, *spatial), e.g. nnU-Net's (C, z, y, x) probabilities.
        channel_groups: class name -> channel indices (in order of the classes to return).

    Returns:
        class name -> new float32 array of shape ``spatial`` (never a view of ``probabilities``).

    Raises:
        ValueError: probabilities has fewer than 2 dimensions; a group is empty, repeats a
            channel or names a channel out of range (the message names the class).

    Example:
        >>> p = np.array([[0.7, 0.1], [0.2, 0.3], [0.1, 0.6]], dtype=np.float32)  # 3 labels, 2 voxels
        >>> maps = class_probability_maps(p, {"tumour": [1, 2]})
        >>> [round(float(v), 3) for v in maps["tumour"]]
        [0.3, 0.9]
    """
    probabilities = np.asarray(probabilities)
    if probabilities.ndim < 2:
        raise ValueError(f"probabilities must have shape (C, *spatial), got shape {probabilities.shape}")
    n_channels = probabilities.shape[0]
    maps: dict[str, np.ndarray] = {}
    for name, channels in channel_groups.items():
        channels = [int(c) for c in channels]
        if not channels:
            raise ValueError(f"class {name!r} has no output channels (a classification-only class has no map)")
        if len(set(channels)) != len(channels):
            raise ValueError(f"class {name!r} lists a channel twice: {channels}")
        bad = [c for c in channels if not 0 <= c < n_channels]
        if bad:
            raise ValueError(f"class {name!r}: channels {bad} out of range, the output has {n_channels} channels")
        out = np.array(probabilities[channels[0]], dtype=np.float32, copy=True)
        for c in channels[1:]:
            np.add(out, probabilities[c], out=out, casting="unsafe")
        np.clip(out, 0.0, 1.0, out=out)
        maps[name] = out
    return maps


def label_mask_for_class(label_map: np.ndarray, label_ids: Iterable[int]) -> np.ndarray:
    """Boolean mask of the voxels whose label is one of ``label_ids`` (all False for an empty list).

    Example:
        >>> label_mask_for_class(np.array([0, 1, 2, 3]), [1, 3]).tolist()
        [False, True, False, True]
    """
    label_map = np.asarray(label_map)
    ids = [int(i) for i in label_ids]
    if not ids:
        return np.zeros(label_map.shape, dtype=bool)
    if len(ids) == 1:
        return label_map == ids[0]
    return np.isin(label_map, ids)
