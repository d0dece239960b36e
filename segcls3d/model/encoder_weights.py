"""Move an encoder's weights from one model into the network another trainer starts from.

Every segcls3d network keeps the plan's encoder under ``encoder.`` (plain/SegCls U-Net, the Cls
``EncoderClassifier``, the Multitask U-Net); a ``segcls3d pretrain`` checkpoint stores only those keys.
:func:`read_encoder_state` takes them out of any of these checkpoints, :func:`write_initial_weights`
puts them into a freshly built network and writes a full-network file for nnU-Net's
``nnUNetv2_train ... -pretrained_weights FILE`` (which needs every key but the segmentation layers).

Example:
    >>> strip_wrappers("_orig_mod.encoder.stages.0.0.convs.0.conv.weight")
    'encoder.stages.0.0.convs.0.conv.weight'
    >>> strip_wrappers("module.decoder.seg_layers.0.weight")
    'decoder.seg_layers.0.weight'
"""
from __future__ import annotations

import inspect
from pathlib import Path
from typing import Union

import torch
from nnunetv2.utilities.find_objects import recursive_find_trainer_class_by_name
from nnunetv2.utilities.label_handling.label_handling import determine_num_input_channels
from nnunetv2.utilities.plans_handling.plans_handler import PlansManager
from torch import nn

from segcls3d.errors import ModelFolderError
from segcls3d.io.atomic import atomic_path
from segcls3d.model.checkpoint import read_checkpoint
from segcls3d.model.heads import unwrap
from segcls3d.model.plans_classes import store_classes
from segcls3d.nnunet_env import ensure_ext_trainer_path

ENCODER_PREFIX = "encoder."
_WRAPPER_PREFIXES = ("module.", "_orig_mod.")  # DDP and torch.compile


def strip_wrappers(key: str) -> str:
    """A state-dict key without the prefixes DDP (``module.``) and torch.compile (``_orig_mod.``) add."""
    stripped = True
    while stripped:
        stripped = False
        for prefix in _WRAPPER_PREFIXES:
            if key.startswith(prefix):
                key, stripped = key[len(prefix):], True
    return key


def encoder_state_from_network_weights(weights: dict[str, torch.Tensor], source: str) -> dict[str, torch.Tensor]:
    """The ``encoder.*`` entries of a network state dict, keyed relative to the encoder.

    ``decoder.encoder.*`` (the decoder's reference to the same encoder) is not an encoder key.

    Raises:
        ModelFolderError: no ``encoder.*`` key (``source`` names the file in the message).
    """
    state = {}
    for key, value in weights.items():
        key = strip_wrappers(key)
        if key.startswith(ENCODER_PREFIX):
            state[key[len(ENCODER_PREFIX):]] = value
    if not state:
        example = next(iter(weights), "none")
        raise ModelFolderError(f"{source}: no '{ENCODER_PREFIX}*' weights in this checkpoint (first key: {example}); "
                               "expected a checkpoint of an nnU-Net U-Net, a segcls3d model or `segcls3d pretrain`")
    return state


def read_encoder_state(checkpoint: Union[str, Path]) -> dict[str, torch.Tensor]:
    """Encoder weights (keys relative to the encoder, e.g. ``stages.0.0.convs.0.conv.weight``) of a checkpoint.

    Works for nnU-Net checkpoints of our models and stock U-Nets and for ``segcls3d pretrain`` checkpoints;
    read with :func:`~segcls3d.model.checkpoint.read_checkpoint` (weights only, no code runs).

    Raises:
        ModelFolderError: the file is not a readable nnU-Net checkpoint, or holds no encoder weights.
    """
    return encoder_state_from_network_weights(read_checkpoint(checkpoint)["network_weights"], str(checkpoint))


def write_initial_weights(encoder_state: dict[str, torch.Tensor], network: nn.Module, out: Union[str, Path]) -> Path:
    """Copy ``encoder_state`` into ``network.encoder`` and write ``{'network_weights': ...}`` atomically to ``out``.

    Every encoder key must match in name and shape (else an error naming the first mismatching key);
    the rest of ``network`` stays as initialised. The file satisfies ``nnUNetv2_train -pretrained_weights``.

    Raises:
        ModelFolderError: ``network`` has no ``encoder``, or the encoders differ.
    """
    module = unwrap(network)
    encoder = getattr(module, "encoder", None)
    if not isinstance(encoder, nn.Module):
        raise ModelFolderError(f"{type(module).__name__} has no 'encoder' module to receive the weights")
    check_encoder_match(encoder_state, encoder.state_dict())
    encoder.load_state_dict(encoder_state, strict=True)
    out = Path(out)
    with atomic_path(out) as tmp:
        torch.save({"network_weights": module.state_dict()}, tmp)
    return out


def check_encoder_match(source: dict[str, torch.Tensor], target: dict[str, torch.Tensor]) -> None:
    """Raise a clear error at the first key that is missing on either side or differs in shape.

    Example:
        >>> check_encoder_match({"a": torch.zeros(2)}, {"a": torch.zeros(3)})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        segcls3d.errors.ModelFolderError: encoder key 'a': shape (2,) in the source, (3,) in the target network ...
    """
    for key, value in target.items():
        if key not in source:
            raise ModelFolderError(f"encoder key '{key}' is missing in the source weights: the encoders differ "
                                   "(were both built from the same plans and configuration?)")
        if tuple(source[key].shape) != tuple(value.shape):
            raise ModelFolderError(f"encoder key '{key}': shape {tuple(source[key].shape)} in the source, "
                                   f"{tuple(value.shape)} in the target network (same plans and configuration?)")
    extra = next((key for key in source if key not in target), None)
    if extra is not None:
        raise ModelFolderError(f"encoder key '{extra}' of the source weights does not exist in the target network "
                               "(were both built from the same plans and configuration?)")


def build_trainer_network(trainer_name: str, plans: dict, configuration: str, dataset_json: dict) -> nn.Module:
    """The network ``trainer_name`` builds for ``plans``/``configuration`` (its own ``build_network_architecture``).

    The trainer is found with nnU-Net's lookup (``nnUNet_extTrainer`` included); deep supervision is on, as
    in training (it does not change the weights). The plans get our image-level class names, as our
    trainers store them, so classification heads can be sized.

    Raises:
        ModelFolderError: unknown trainer or configuration.
    """
    ensure_ext_trainer_path()
    if configuration not in plans.get("configurations", {}):
        raise ModelFolderError(f"configuration '{configuration}' is not in the plans "
                               f"(available: {', '.join(plans.get('configurations', {}))})")
    try:
        trainer_class = recursive_find_trainer_class_by_name(trainer_name)
    except RuntimeError as exc:
        raise ModelFolderError(f"trainer '{trainer_name}': {exc}") from None
    plans_manager = PlansManager(store_classes(plans, configuration, dataset_json))
    manager = plans_manager.get_configuration(configuration)
    num_inputs = determine_num_input_channels(plans_manager, manager, dataset_json)
    num_outputs = plans_manager.get_label_manager(dataset_json).num_segmentation_heads
    build = trainer_class.build_network_architecture
    if "plans_manager" in inspect.signature(build).parameters:
        return build(plans_manager, manager, num_inputs, num_outputs, enable_deep_supervision=True)
    return build(manager.network_arch_class_name, manager.network_arch_init_kwargs,  # older nnU-Net trainers
                 manager.network_arch_init_kwargs_req_import, num_inputs, num_outputs, enable_deep_supervision=True)
