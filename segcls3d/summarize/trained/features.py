"""Embeddings of a frozen nnU-Net network for the embedding summarizers (paper Appendix A2.2, Table A1).

Layers. The paper reads nnU-Net's Generic_UNet at ``conv_blocks_localization[2]`` ("deep") and
``[4]`` ("shallow") -- decoder blocks counted from the lowest resolution, of a 5-block decoder.
nnU-Net v2's networks (dynamic_network_architectures ``PlainConvUNet``/``ResidualEncoderUNet``)
have the same blocks as ``decoder.stages``; with D of them we take, counting from the output end
as the paper's 5-block decoder does:

- ``shallow`` = ``decoder.stages[D-1]``: the last block, full resolution (= ``[4]`` when D = 5);
- ``deep`` = ``decoder.stages[max(D-3, 0)]``: two blocks before it, 1/4 resolution (= ``[2]``).

Pooling. Features are captured with a forward hook during a sliding-window pass over the
preprocessed image (nnU-Net's tiles: ``compute_steps_for_sliding_window``, the plan's patch size,
step 0.5, no mirroring). Each tile's feature map is average-pooled onto a fixed grid (default 8
per axis), then the case's feature tensor is the element-wise maximum over tiles (and slices of
a 2d configuration): a finding in any tile shows, and images of any size give the same shape.
"""
from __future__ import annotations

import logging
from typing import Sequence

import numpy as np

from segcls3d.errors import ModelFolderError

logger = logging.getLogger(__name__)
LAYERS = ("shallow", "deep")
DEFAULT_FEATURE_GRID = 8


def embedding_module(network, layer: str):
    """(module, name) of the decoder block for ``layer`` (``shallow``/``deep``) of an nnU-Net UNet.

    Raises:
        ValueError: unknown layer.
        ModelFolderError: the network has no ``decoder.stages`` (not one of nnU-Net's UNets).
    """
    from segcls3d.model.heads import unwrap  # imports torch: loaded only when a network is at hand

    if layer not in LAYERS:
        raise ValueError(f"layer must be one of {LAYERS}, got {layer!r}")
    stages = getattr(getattr(unwrap(network), "decoder", None), "stages", None)
    if stages is None or len(stages) == 0:
        raise ModelFolderError(f"{type(unwrap(network)).__name__} has no decoder.stages; embedding summarizers "
                               "need one of nnU-Net's UNets (PlainConvUNet, ResidualEncoderUNet)")
    n = len(stages)
    index = n - 1 if layer == "shallow" else max(n - 3, 0)
    return stages[index], f"decoder.stages[{index}]"


def tile_slicers(image_shape: Sequence[int], patch_size: Sequence[int], step_size: float = 0.5) -> list[tuple]:
    """nnU-Net's sliding-window tiles (index tuples into (C, *image_shape)) of a padded image's spatial
    shape; a 2D patch on 3D data runs per slice, as nnU-Net's predictor does."""
    from nnunetv2.inference.sliding_window_prediction import compute_steps_for_sliding_window

    patch = [int(p) for p in patch_size]
    per_slice = len(patch) == len(image_shape) - 1
    spatial = list(image_shape[1:]) if per_slice else list(image_shape)
    steps = compute_steps_for_sliding_window(spatial, patch, step_size)
    tiles = [()]
    for axis_steps, size in zip(steps, patch):
        tiles = [t + (slice(s, s + size),) for t in tiles for s in axis_steps]
    if per_slice:
        return [(slice(None), d, *t) for d in range(int(image_shape[0])) for t in tiles]
    return [(slice(None), *t) for t in tiles]


def extract_features(network, data: np.ndarray, patch_size: Sequence[int], layer: str, grid: Sequence[int],
                     device="cpu", step_size: float = 0.5) -> np.ndarray:
    """Embedding (C, *grid) of one preprocessed case (C_in, *spatial) with the network's current weights."""
    import torch
    import torch.nn.functional as F
    from acvl_utils.cropping_and_padding.padding import pad_nd_image

    module, _ = embedding_module(network, layer)
    grid = tuple(int(g) for g in grid)
    pool = F.adaptive_avg_pool2d if len(grid) == 2 else F.adaptive_avg_pool3d
    pooled: list = []
    handle = module.register_forward_hook(lambda _m, _i, out: pooled.append(pool(out.float(), grid).cpu()))
    try:
        image = torch.as_tensor(np.asarray(data, dtype=np.float32))
        padded = pad_nd_image(image, [int(p) for p in patch_size], "constant", {"value": 0}, False, None)
        network.to(device).eval()
        with torch.no_grad():
            for tile in tile_slicers(padded.shape[1:], patch_size, step_size):
                network(padded[tile][None].to(device))
    finally:
        handle.remove()
    return torch.cat(pooled).amax(0).numpy()


def ensemble_features(predictor, data: np.ndarray, layer: str, grid: Sequence[int],
                      step_size: float = 0.5) -> np.ndarray:
    """Embeddings of one preprocessed case from each fold of an nnU-Net predictor: (n_folds, C, *grid)."""
    from segcls3d.model.heads import unwrap  # imports torch: loaded only when a network is at hand

    network = unwrap(predictor.network)
    patch = predictor.configuration_manager.patch_size
    out = []
    for params in predictor.list_of_parameters:
        network.load_state_dict(params)
        out.append(extract_features(network, data, patch, layer, grid, predictor.device, step_size))
    return np.stack(out)


def preprocess_case(predictor, image: np.ndarray, properties: dict) -> np.ndarray:
    """nnU-Net's preprocessing of a raw case (as read by the plan's reader) for the predictor's plan.

    Raises:
        ModelFolderError: a cascade configuration (needs the previous stage's segmentation).
    """
    from copy import deepcopy

    cm = predictor.configuration_manager
    if getattr(cm, "previous_stage_name", None):
        raise ModelFolderError("embedding summarizers do not support cascade configurations")
    preprocessor = cm.preprocessor_class(verbose=False)
    data, _, _ = preprocessor.run_case_npy(image, None, deepcopy(properties), predictor.plans_manager, cm,
                                           predictor.dataset_json)
    return data
