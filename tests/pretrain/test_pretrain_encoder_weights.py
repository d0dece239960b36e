"""segcls3d.model.encoder_weights: encoders out of checkpoints, into other networks, through nnU-Net's loader."""
from __future__ import annotations

import pytest
import torch
from dynamic_network_architectures.architectures.unet import PlainConvUNet
from nnunetv2.run.load_pretrained_weights import load_pretrained_weights

from segcls3d.errors import ModelFolderError
from segcls3d.model.encoder_weights import read_encoder_state, write_initial_weights
from segcls3d.model.heads import EncoderClassifier, attach_multitask_head


def _unet(features=(8, 16, 32), outputs: int = 3) -> PlainConvUNet:
    return PlainConvUNet(1, 3, features, torch.nn.Conv2d, 3, (1, 2, 2), 2, outputs, 2, False, torch.nn.InstanceNorm2d,
                         {"affine": True}, None, None, torch.nn.LeakyReLU, {"inplace": True}, deep_supervision=True)


def _save(path, weights: dict) -> None:
    torch.save({"network_weights": weights, "trainer_name": "nnUNetTrainerSegCls", "init_args": {}}, path)


def test_encoder_state_of_unet_classifier_and_compiled_multitask_checkpoints(tmp_path):
    torch.manual_seed(0)
    unet = _unet()
    expected = unet.encoder.state_dict()
    classifier = EncoderClassifier(_unet().encoder, 2)
    multitask = attach_multitask_head(_unet(), 2)
    _save(tmp_path / "unet.pth", unet.state_dict())
    _save(tmp_path / "cls.pth", classifier.state_dict())
    _save(tmp_path / "multitask.pth", {f"_orig_mod.{k}": v for k, v in multitask.state_dict().items()})
    state = read_encoder_state(tmp_path / "unet.pth")
    assert state.keys() == expected.keys() and "stages.0.0.convs.0.conv.weight" in state
    assert all(torch.equal(state[k], v) for k, v in expected.items())  # not the decoder's copy under decoder.encoder
    for name, network in (("cls", classifier), ("multitask", multitask)):
        state = read_encoder_state(tmp_path / f"{name}.pth")
        assert all(torch.equal(state[k], v) for k, v in network.encoder.state_dict().items())
        assert state.keys() == expected.keys()


def test_initial_weights_carry_the_encoder_and_keep_the_rest_as_initialised(tmp_path):
    torch.manual_seed(0)
    source = _unet().encoder.state_dict()
    target = EncoderClassifier(_unet().encoder, 2)
    head_before = {k: v.clone() for k, v in target.head.state_dict().items()}
    out = write_initial_weights(source, target, tmp_path / "sub" / "init.pth")
    weights = torch.load(out, weights_only=True)["network_weights"]
    assert weights.keys() == target.state_dict().keys()
    assert all(torch.equal(weights[f"encoder.{k}"], v) for k, v in source.items())
    assert all(torch.equal(weights[f"head.{k}"], v) for k, v in head_before.items())
    assert not list((tmp_path / "sub").glob(".tmp_*"))
    # nnU-Net's own -pretrained_weights loader accepts the file and the encoder arrives
    fresh = EncoderClassifier(_unet().encoder, 2)
    assert not torch.equal(fresh.encoder.stages[0][0].convs[0].conv.weight, source["stages.0.0.convs.0.conv.weight"])
    load_pretrained_weights(fresh, str(out))
    assert all(torch.equal(fresh.encoder.state_dict()[k], v) for k, v in source.items())


def test_unet_file_satisfies_nnunet_loader_and_fills_the_decoders_encoder_reference(tmp_path):
    torch.manual_seed(1)
    source = _unet().encoder.state_dict()
    out = write_initial_weights(source, _unet(), tmp_path / "unet_init.pth")
    fresh = _unet()
    load_pretrained_weights(fresh, str(out))
    for k, v in source.items():
        assert torch.equal(fresh.encoder.state_dict()[k], v)
        assert torch.equal(fresh.decoder.encoder.state_dict()[k], v)


def test_mismatching_encoders_name_the_first_differing_key(tmp_path):
    source = _unet(features=(8, 16, 32)).encoder.state_dict()
    with pytest.raises(ModelFolderError, match=r"encoder key 'stages\.0\.0\.convs\.0\.conv\.weight': shape "
                                               r"\(8, 1, 3, 3\) in the source, \(4, 1, 3, 3\) in the target"):
        write_initial_weights(source, _unet(features=(4, 16, 32)), tmp_path / "x.pth")
    smaller = {k: v for k, v in source.items() if not k.startswith("stages.2")}
    with pytest.raises(ModelFolderError, match=r"encoder key 'stages\.2\..*' is missing in the source"):
        write_initial_weights(smaller, _unet(), tmp_path / "x.pth")
    assert not (tmp_path / "x.pth").exists()


def test_checkpoint_without_encoder_is_a_clear_error(tmp_path):
    _save(tmp_path / "plain.pth", {"fc.weight": torch.zeros(2, 2)})
    with pytest.raises(ModelFolderError, match=r"plain\.pth: no 'encoder\.\*' weights .*first key: fc\.weight"):
        read_encoder_state(tmp_path / "plain.pth")
    torch.save({"state_dict": {}}, tmp_path / "foreign.pth")
    with pytest.raises(ModelFolderError, match="not an nnU-Net checkpoint"):
        read_encoder_state(tmp_path / "foreign.pth")
