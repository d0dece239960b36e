"""The saliency bridge on real dynamic_network_architectures U-Nets (2D and 3D, plain and residual)."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from dynamic_network_architectures.architectures.unet import PlainConvUNet, ResidualEncoderUNet
from torch import nn

from segcls3d.errors import SegCls3dError
from segcls3d.model.heads import HEAD_ATTRIBUTE, attach_multitask_head, get_head
from segcls3d.model.multimix import SaliencyBridgeUNet
from segcls3d.model.multimix.bridge import bridge_features, class_saliency, with_bridge
from segcls3d.model.saliency.input_gradient import input_gradient

N_CLASSES = 2


def _unet(kind: str, dim: int, deep_supervision: bool = False, in_channels: int = 1) -> nn.Module:
    conv, norm = (nn.Conv2d, nn.InstanceNorm2d) if dim == 2 else (nn.Conv3d, nn.InstanceNorm3d)
    common = dict(input_channels=in_channels, n_stages=3, features_per_stage=[4, 8, 16], conv_op=conv,
                  kernel_sizes=3, strides=[1, 2, 2], num_classes=3, n_conv_per_stage_decoder=1, conv_bias=True,
                  norm_op=norm, norm_op_kwargs={"eps": 1e-5, "affine": True}, nonlin=nn.LeakyReLU,
                  nonlin_kwargs={"inplace": True}, deep_supervision=deep_supervision)
    torch.manual_seed(0)
    if kind == "plain":
        return PlainConvUNet(n_conv_per_stage=1, **common)
    return ResidualEncoderUNet(n_blocks_per_stage=[1, 1, 1], **common)


def _bridge_net(kind="plain", dim=2, deep_supervision=False, in_channels=1) -> SaliencyBridgeUNet:
    return SaliencyBridgeUNet(_unet(kind, dim, deep_supervision, in_channels), in_channels, N_CLASSES)


def _x(dim: int, channels: int = 1) -> torch.Tensor:
    torch.manual_seed(1)
    return torch.randn(2, channels, *([16] * dim))


def test_input_gradient_of_a_known_function():
    w = torch.tensor([[1.0, -2.0, 0.5]])
    x = torch.tensor([[3.0, 1.0, 2.0], [0.0, 1.0, -1.0]], requires_grad=True)
    scores = (x * w).sum(1) + (x[:, 0] ** 2)  # d/dx = w + (2 x0, 0, 0), each sample its own
    grad = input_gradient(scores, x)
    torch.testing.assert_close(grad, torch.tensor([[7.0, -2.0, 0.5], [1.0, -2.0, 0.5]]))
    assert not grad.requires_grad
    second = input_gradient(scores, x, create_graph=True)
    assert second.requires_grad  # differentiable: d/dx0 of grad[:, 0] = 2
    torch.testing.assert_close(torch.autograd.grad(second[:, 0].sum(), x)[0][:, 0], torch.tensor([2.0, 2.0]))
    with pytest.raises(SegCls3dError, match="require grad"):
        input_gradient(scores, x.detach())


def test_class_saliency_is_the_normalized_absolute_gradient_per_class():
    x = torch.tensor([[[1.0, -2.0, 4.0]], [[0.5, 0.0, 1.0]]], requires_grad=True)  # (B=2, C=1, 3)
    scores = torch.stack([(x ** 2).sum((1, 2)), (3 * x).sum((1, 2))], 1)  # class 0: 2x, class 1: 3
    saliency = class_saliency(scores, x)
    assert saliency.shape == (2, 2, 3)
    torch.testing.assert_close(saliency[0, 0], torch.tensor([2.0, 4.0, 8.0]) / 8)
    torch.testing.assert_close(saliency[1, 0], torch.tensor([1.0, 0.0, 2.0]) / 2)
    torch.testing.assert_close(saliency[:, 1], torch.ones(2, 3))


@pytest.mark.parametrize("kind", ["plain", "residual"])
@pytest.mark.parametrize("dim", [2, 3])
def test_bridge_is_what_the_first_decoder_stage_reads(kind, dim):
    in_channels = 2
    net = _bridge_net(kind, dim, in_channels=in_channels).eval()
    x = _x(dim, in_channels)
    seen = {}
    net.decoder.stages[0].register_forward_hook(lambda m, inputs, out: seen.update(stage_input=inputs[0]))
    net(x)
    # the same saliency computed by hand from the encoder and the head
    image = x.clone().requires_grad_(True)
    skips = net.encoder(image)
    logits = get_head(net).last_logits
    expected = F.interpolate(torch.cat([x, class_saliency(logits, image)], 1), size=skips[-2].shape[2:], mode="area")
    skip_channels = skips[-2].shape[1]
    stage_input = seen["stage_input"]
    assert stage_input.shape[1] == 2 * skip_channels + in_channels + N_CLASSES  # up(bottleneck), skip, bridge
    torch.testing.assert_close(stage_input[:, 2 * skip_channels:], expected)
    torch.testing.assert_close(stage_input[:, skip_channels:2 * skip_channels], skips[-2].detach())
    assert expected[:, in_channels:].amax() > 0  # the saliency channels are not empty


def test_head_weights_change_the_segmentation_only_through_the_bridge():
    x = _x(2)
    bridged = _bridge_net().eval()
    multitask = attach_multitask_head(_unet("plain", 2), N_CLASSES).eval()
    before_bridged, before_multitask = bridged(x).detach(), multitask(x).detach()
    with torch.no_grad():
        for net in (bridged, multitask):
            get_head(net).fc.weight.copy_(torch.randn_like(get_head(net).fc.weight))
    assert torch.equal(multitask(x), before_multitask)  # a Y-Net head never touches the segmentation
    assert not torch.allclose(bridged(x), before_bridged)  # the bridge carries the head's saliency


def test_forward_returns_segmentation_logits_in_every_mode():
    x = _x(3)
    net = _bridge_net(dim=3, deep_supervision=True)
    out = net(x)
    assert isinstance(out, list) and out[0].shape == (2, 3, 16, 16, 16)
    net.decoder.deep_supervision = False
    net.eval()
    with torch.no_grad():
        reference = net(x)
    with torch.inference_mode():  # nnU-Net's predictor: inference tensors in, summed flipped outputs out
        prediction = net(x)
        prediction += torch.flip(net(torch.flip(x, (2,))), (2,))
    assert not reference.requires_grad and reference.shape == (2, 3, 16, 16, 16)
    assert prediction.is_inference() and torch.isfinite(prediction).all()
    torch.testing.assert_close(net(x.clone()).detach(), reference)


def test_segmentation_loss_trains_the_head_only_with_create_graph():
    x = _x(2)
    for create_graph in (False, True):
        net = _bridge_net()
        net.saliency_create_graph = create_graph
        net(x).float().pow(2).mean().backward()
        grad = get_head(net).fc.weight.grad
        assert (grad is not None and grad.abs().sum() > 0) == create_graph


def test_state_dict_is_the_unet_plus_head_with_a_wider_first_decoder_conv():
    unet_keys = {k: v.shape for k, v in _unet("plain", 2).state_dict().items()}
    net = _bridge_net()
    keys = {k: v.shape for k, v in net.state_dict().items()}
    assert set(keys) == set(unet_keys) | {f"{HEAD_ATTRIBUTE}.fc.weight", f"{HEAD_ATTRIBUTE}.fc.bias",
                                          f"{HEAD_ATTRIBUTE}.max_weight"}
    widened = [k for k in unet_keys if keys[k] != unet_keys[k]]
    assert sorted(widened) == ["decoder.stages.0.convs.0.all_modules.0.weight", "decoder.stages.0.convs.0.conv.weight"]
    assert keys[widened[0]][1] == unet_keys[widened[0]][1] + 1 + N_CLASSES


def test_bridge_helpers_keep_the_other_skips():
    skips = [torch.zeros(1, 4, 8, 8), torch.ones(1, 8, 4, 4), torch.ones(1, 16, 2, 2)]
    bridge = bridge_features(torch.arange(64.0).reshape(1, 1, 8, 8), torch.ones(1, 1, 8, 8), (4, 4))
    assert bridge[0, 0, 0, 0] == (0 + 1 + 8 + 9) / 4  # area averaging of the 2x2 footprint
    out = with_bridge(skips, bridge)
    assert out[0] is skips[0] and out[2] is skips[2] and out[1].shape == (1, 10, 4, 4)


def test_bridge_saliency_is_the_saliency_seams_input_gradient_scaled_to_max_1():
    from segcls3d.model.saliency.compute import saliency_maps

    net = _bridge_net(dim=3).eval()
    x = _x(3)
    seen = {}
    net.decoder.stages[0].register_forward_hook(lambda m, inputs, out: seen.update(stage_input=inputs[0]))
    seam = saliency_maps(net, x, [(0,), (1,)], method="input_gradient")  # (B, 2, 16, 16, 16), not normalized
    bridge = class_saliency(*_logits_and_image(net, x))
    torch.testing.assert_close(bridge, seam / seam.flatten(2).amax(-1)[..., None, None, None])
    assert seen["stage_input"].shape[1] == 2 * 8 + 1 + N_CLASSES  # the seam ran the bridged forward


def _logits_and_image(net: SaliencyBridgeUNet, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    image = x.clone().requires_grad_(True)
    net.encoder(image)
    return get_head(net).last_logits, image
