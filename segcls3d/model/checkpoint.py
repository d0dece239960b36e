"""Read nnU-Net checkpoints without running code from them, and build the predictor's network.

nnU-Net's predictor loads ``fold_*/checkpoint_final.pth`` with ``torch.load(weights_only=False)``:
unpickling a downloaded model folder can run any code its author put in it. Here every checkpoint
is read with ``weights_only=True`` plus an allow-list of the few non-tensor types nnU-Net
checkpoints hold (numpy scalars and dtypes in the training log); the network is then built exactly
as :meth:`nnUNetPredictor.initialize_from_trained_model_folder` builds it and handed to
:meth:`nnUNetPredictor.manual_initialization`.

Example:
    >>> SAFE_GLOBALS[0]  # doctest: +ELLIPSIS
    <class 'numpy.dtype'>
"""
from __future__ import annotations

import inspect
import json
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np
import torch
from nnunetv2.utilities.find_objects import recursive_find_trainer_class_by_name
from nnunetv2.utilities.label_handling.label_handling import determine_num_input_channels
from nnunetv2.utilities.plans_handling.plans_handler import PlansManager

from segcls3d.errors import ModelFolderError

try:  # numpy >= 2
    from numpy._core.multiarray import _reconstruct, scalar
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.multiarray import _reconstruct, scalar

TRUST_ADVICE = ("--trust-checkpoint restores nnU-Net's own loading (torch.load(weights_only=False), which can "
                "run code stored in the file): use it only for files from a source you trust")

# Types nnU-Net checkpoints contain besides tensors, dicts, lists and numbers: numpy scalars (training
# log, ``_best_ema``) are pickled as ``scalar(dtype, bytes)``; arrays as ``_reconstruct(ndarray, ...)``.
# Checkpoints written under numpy 1.x name the same functions ``numpy.core.multiarray.*``.
SAFE_GLOBALS: list[Any] = [
    np.dtype, scalar, np.ndarray, _reconstruct,
    (scalar, "numpy.core.multiarray.scalar"), (_reconstruct, "numpy.core.multiarray._reconstruct"),
    *(getattr(np.dtypes, name) for name in sorted(dir(np.dtypes))
      if name.endswith("DType") and name != "ObjectDType"),
]


def read_checkpoint(path: Union[str, Path]) -> dict:
    """``torch.load(path, weights_only=True)`` with :data:`SAFE_GLOBALS` allowed, on the CPU.

    Raises:
        ModelFolderError: the file holds anything else (it is not unpickled) or cannot be read.
    """
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            checkpoint = torch.load(path, map_location=torch.device("cpu"), weights_only=True)
    except pickle.UnpicklingError as exc:
        detail = str(exc).split("WeightsUnpickler error:")[-1].strip().splitlines()[0].split(" Please use")[0]
        raise ModelFolderError(f"{path}: checkpoint holds content that a safe load refuses ({detail}); "
                               f"{TRUST_ADVICE}") from None
    except (OSError, RuntimeError, EOFError) as exc:
        raise ModelFolderError(f"{path}: cannot read checkpoint ({type(exc).__name__}: {exc})") from None
    if not isinstance(checkpoint, dict) or "network_weights" not in checkpoint or "trainer_name" not in checkpoint:
        raise ModelFolderError(f"{path}: not an nnU-Net checkpoint (no network_weights/trainer_name)")
    return checkpoint


@dataclass(frozen=True)
class FoldWeights:
    """What the predictor takes from the checkpoints: the first fold's metadata and every fold's weights."""

    trainer_name: str
    configuration: str
    mirroring_axes: Optional[tuple[int, ...]]
    parameters: list[dict]


def read_fold_weights(checkpoints: Sequence[Path]) -> FoldWeights:
    """Read every fold's checkpoint safely; trainer, configuration and mirroring axes come from the first.

    Raises:
        ModelFolderError: see :func:`read_checkpoint`; or a checkpoint without ``init_args.configuration``.
    """
    parameters = []
    first: dict = {}
    for i, path in enumerate(checkpoints):
        checkpoint = read_checkpoint(path)
        if i == 0:
            first = checkpoint
        parameters.append(checkpoint["network_weights"])
    try:
        configuration = first["init_args"]["configuration"]
    except (KeyError, TypeError):
        raise ModelFolderError(f"{checkpoints[0]}: checkpoint has no init_args.configuration") from None
    axes = first.get("inference_allowed_mirroring_axes")
    return FoldWeights(first["trainer_name"], configuration, tuple(axes) if axes is not None else None, parameters)


def initialize_predictor(predictor, folder: Path, checkpoints: Sequence[Path]) -> None:
    """Set up ``predictor`` (an ``nnUNetPredictor``) like ``initialize_from_trained_model_folder``, safely.

    Raises:
        ModelFolderError: see :func:`read_fold_weights`.
        RuntimeError: nnU-Net cannot find the checkpoint's trainer class.
    """
    dataset_json = json.loads((folder / "dataset.json").read_text())
    plans_manager = PlansManager(json.loads((folder / "plans.json").read_text()))
    weights = read_fold_weights(checkpoints)
    configuration_manager = plans_manager.get_configuration(weights.configuration)
    num_input_channels = determine_num_input_channels(plans_manager, configuration_manager, dataset_json)
    num_output_channels = plans_manager.get_label_manager(dataset_json).num_segmentation_heads
    trainer_class = recursive_find_trainer_class_by_name(weights.trainer_name)
    if "plans_manager" in inspect.signature(trainer_class.build_network_architecture).parameters:
        network = trainer_class.build_network_architecture(plans_manager, configuration_manager, num_input_channels,
                                                           num_output_channels, enable_deep_supervision=False)
    else:  # the signature of older nnU-Net trainers
        network = trainer_class.build_network_architecture(
            configuration_manager.network_arch_class_name, configuration_manager.network_arch_init_kwargs,
            configuration_manager.network_arch_init_kwargs_req_import, num_input_channels, num_output_channels,
            enable_deep_supervision=False)
    network.load_state_dict(weights.parameters[0])  # as nnU-Net does (see nnU-Net issue 2520)
    predictor.manual_initialization(network, plans_manager, configuration_manager, weights.parameters, dataset_json,
                                    weights.trainer_name, weights.mirroring_axes)
