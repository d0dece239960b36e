"""Multitask head on real dynamic_network_architectures UNets, EncoderClassifier, helpers."""
from __future__ import annotations

from copy import deepcopy

import pytest
import torch
from dynamic_network_architectures.architectures.unet import PlainConvUNet, ResidualEncoderUNet
from dynamic_network_architectures.building_blocks.plain_conv_encoder import PlainConvEncoder
from torch import nn

from segcls3d.model.heads import (
    HEAD_ATTRIBUTE,
    ClassificationHead,
    EncoderClassifier,
    attach_multitask_head,
    bottleneck_channels,
    get_head,
    unwrap,
)
from segcls3d.model.plans_classes import class_names_from_configuration

COMMON = dict(input_channels=1, n_stages=3, features_per_stage=[4, 8, 16], conv_op=nn.Conv3d, kernel_sizes=3,
              strides=[1, 2, 2], num_classes=3, n_conv_per_stage_decoder=1, conv_bias=True,
              norm_op=nn.InstanceNorm3d, norm_op_kwargs={"eps": 1e-5, "affine": True},
              nonlin=nn.LeakyReLU, nonlin_kwargs={"inplace": True})


def _unet(kind: str = "plain", deep_supervision: bool = False) -> nn.Module:
    torch.manual_seed(0)
    if kind == "plain":
        return PlainConvUNet(n_conv_per_stage=1, deep_supervision=deep_supervision, **COMMON)
    return ResidualEncoderUNet(n_blocks_per_stage=[1, 1, 1], deep_supervision=deep_supervision, **COMMON)


@pytest.fixture
def x() -> torch.Tensor:
    torch.manual_seed(1)
    return torch.randn(2, 1, 16, 16, 16)


@pytest.mark.parametrize("kind", ["plain", "residual"])
def test_head_does_not_change_segmentation_output(kind, x):
    net = _unet(kind).eval()
    keys_before = set(net.state_dict())
    with torch.no_grad():
        reference = net(x)
    attach_multitask_head(net, num_classes=2)
    with torch.no_grad():
        out = net(x)
    assert torch.equal(out, reference)  # forward still returns the segmentation logits, unchanged
    assert set(net.state_dict()) == keys_before | {f"{HEAD_ATTRIBUTE}.fc.weight", f"{HEAD_ATTRIBUTE}.fc.bias",
                                                   f"{HEAD_ATTRIBUTE}.max_weight"}
    head = get_head(net)
    assert type(head) is ClassificationHead and head.fc.in_features == bottleneck_channels(net)
    assert head.last_logits.shape == (2, 2)
    # the head sees the bottleneck: average + maximum of the deepest skip, then the linear layer
    with torch.no_grad():
        bottleneck = net.encoder(x)[-1]
        assert bottleneck.shape[1] == bottleneck_channels(net) == 16
        expected = head.fc(bottleneck.mean(dim=(2, 3, 4)) + bottleneck.amax(dim=(2, 3, 4)))
    torch.testing.assert_close(head.last_logits, expected)


def test_record_collects_one_entry_per_call(x):
    net = attach_multitask_head(_unet().eval(), num_classes=3)
    head = get_head(net)
    head.record = []
    with torch.no_grad():
        net(x)
        net(torch.flip(x, (2,)))
        net(x[:1])
    assert [tuple(r.shape) for r in head.record] == [(2, 3), (2, 3), (1, 3)]
    assert not any(r.requires_grad for r in head.record)
    assert torch.equal(head.record[2], head.last_logits)


def test_head_gradients_reach_the_encoder(x):
    net = attach_multitask_head(_unet(), num_classes=2)
    net(x)
    get_head(net).last_logits.sum().backward()
    assert get_head(net).fc.weight.grad.abs().sum() > 0
    first_conv = next(m for m in net.encoder.modules() if isinstance(m, nn.Conv3d))
    assert first_conv.weight.grad.abs().sum() > 0
    decoder_grads = [p.grad for p in net.decoder.parameters() if p not in set(net.encoder.parameters())]
    assert all(g is None for g in decoder_grads)


def test_deep_supervision_output_unchanged(x):
    net = attach_multitask_head(_unet(deep_supervision=True).eval(), num_classes=2)
    with torch.no_grad():
        out = net(x)
    assert isinstance(out, (list, tuple)) and out[0].shape == (2, 3, 16, 16, 16)
    assert get_head(net).last_logits.shape == (2, 2)


def test_deepcopy_keeps_a_working_head(x):
    net = attach_multitask_head(_unet().eval(), num_classes=2)
    copy = deepcopy(net)
    original_head, copied_head = get_head(net), get_head(copy)
    assert copied_head is not original_head
    original_head.last_logits = None
    with torch.no_grad():
        out_copy = copy(x)
        out = net(x)
    assert torch.equal(out_copy, out)
    assert copied_head.last_logits.shape == (2, 2)
    torch.testing.assert_close(copied_head.last_logits, original_head.last_logits)
    # the copy's hook writes into the copy's head only
    original_head.last_logits = None
    with torch.no_grad():
        copy(x)
    assert original_head.last_logits is None


def test_get_head_and_unwrap():
    net = attach_multitask_head(_unet(), num_classes=2)

    class Wrapper(nn.Module):
        def __init__(self, module):
            super().__init__()
            self.module = module

    class Compiled(nn.Module):
        def __init__(self, module):
            super().__init__()
            self._orig_mod = module

    assert unwrap(Wrapper(net)) is net and unwrap(Compiled(net)) is net and unwrap(net) is net
    assert get_head(Wrapper(net)) is get_head(net)
    assert get_head(_unet()) is None


def test_bottleneck_channels_needs_an_nnunet_unet():
    with pytest.raises(TypeError, match="Linear has no 'encoder.output_channels'"):
        bottleneck_channels(nn.Linear(2, 2))
    with pytest.raises(TypeError):
        attach_multitask_head(nn.Sequential(nn.Conv3d(1, 2, 3)), 2)


def test_classification_head_with_dropout():
    head = ClassificationHead(8, 3, dropout=0.5).eval()
    features = torch.randn(4, 8, 3, 5)
    torch.testing.assert_close(head(features), head.fc(features.mean(dim=(2, 3)) + features.amax(dim=(2, 3))))


def test_head_pooling_by_hand():
    features = torch.zeros(1, 2, 2, 2)
    features[0, 0] = torch.tensor([[1.0, 3.0], [-2.0, 6.0]])  # average 2, maximum 6
    features[0, 1] = -1.0  # average -1, maximum -1
    for pooling, pooled in (("avgmax", [8.0, -2.0]), ("avg", [2.0, -1.0])):
        head = ClassificationHead(2, 1, pooling=pooling)
        with torch.no_grad():
            head.fc.weight.copy_(torch.tensor([[1.0, 10.0]]))
            head.fc.bias.zero_()
        assert head.pooling == pooling
        assert head(features).item() == pytest.approx(pooled[0] + 10 * pooled[1])
    with pytest.raises(ValueError, match="unknown pooling 'gem'"):
        ClassificationHead(2, 1, pooling="gem")


def test_checkpoint_without_max_weight_loads_as_average_pooling():
    """A head saved before the buffer existed was trained with the average alone: it keeps predicting so."""
    old = ClassificationHead(4, 2, pooling="avg").state_dict()
    del old["max_weight"]
    head = ClassificationHead(4, 2)
    head.load_state_dict(old)  # strict: the missing buffer is filled in, not reported
    assert head.pooling == "avg"
    features = torch.randn(3, 4, 5)
    torch.testing.assert_close(head(features), head.fc(features.mean(-1)))
    saved = ClassificationHead(4, 2).state_dict()
    reloaded = ClassificationHead(4, 2, pooling="avg")
    reloaded.load_state_dict(saved)  # the buffer in the checkpoint wins over the constructor's default
    assert reloaded.pooling == "avgmax"


def test_encoder_classifier_from_unet_encoder(x):
    net = _unet()
    clf = EncoderClassifier(net.encoder, num_classes=4)
    assert clf.segcls3d_kind == "classifier"
    logits = clf(x)
    assert logits.shape == (2, 4)
    logits.sum().backward()
    assert clf.head.fc.weight.grad.abs().sum() > 0


def test_encoder_classifier_with_tensor_output_encoder():
    encoder = PlainConvEncoder(1, 3, [4, 8, 16], nn.Conv2d, 3, [1, 2, 2], 1, conv_bias=True,
                               norm_op=nn.InstanceNorm2d, nonlin=nn.LeakyReLU, return_skips=False)
    clf = EncoderClassifier(encoder, num_classes=2).eval()
    x = torch.randn(3, 1, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(clf(x), clf.head(encoder(x)))
    assert clf(x).shape == (3, 2)


def test_class_names_from_configuration():
    assert class_names_from_configuration({"segcls3d_classes": ["a", "b"]}) == ["a", "b"]
    with pytest.raises(KeyError, match="not trained with a segcls3d trainer"):
        class_names_from_configuration({"patch_size": [32, 32]})
