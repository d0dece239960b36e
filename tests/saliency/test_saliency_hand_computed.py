"""Saliency of real nnU-Net networks (in-place LeakyReLU, InstanceNorm, deep supervision on) against a hand
computation with torch.autograd: Grad-CAM, Grad-CAM++ (without MONAI's exp(score) factor) and the input
gradient, for the class logit of a classifier, the head logit of a multitask U-Net and the summed class logit of
a segmentation U-Net, in 2D and 3D. The map is neither inverted nor normalised (MONAI's default would be)."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from dynamic_network_architectures.architectures.unet import PlainConvUNet, ResidualEncoderUNet
from torch import nn

from segcls3d.model.heads import EncoderClassifier, attach_multitask_head, get_head
from segcls3d.model.saliency.class_scores import network_kind
from segcls3d.model.saliency.compute import SaliencyModel
from segcls3d.model.saliency.layers import SaliencyLayerError, default_target_layer, encoder_stage_names


def _unet(dim: int, residual: bool = False) -> nn.Module:
    conv, norm = (nn.Conv2d, nn.InstanceNorm2d) if dim == 2 else (nn.Conv3d, nn.InstanceNorm3d)
    common = dict(input_channels=2, n_stages=3, features_per_stage=[4, 8, 16], conv_op=conv, kernel_sizes=3,
                  strides=[1, 2, 2], num_classes=3, n_conv_per_stage_decoder=1, conv_bias=True, norm_op=norm,
                  norm_op_kwargs={"eps": 1e-5, "affine": True}, nonlin=nn.LeakyReLU, nonlin_kwargs={"inplace": True},
                  deep_supervision=True)
    torch.manual_seed(3)
    if residual:
        return ResidualEncoderUNet(n_blocks_per_stage=[1, 1, 1], **common)
    return PlainConvUNet(n_conv_per_stage=1, **common)


def _network(kind: str, dim: int) -> nn.Module:
    unet = _unet(dim, residual=kind == "segmentation_residual")
    if kind == "classifier":
        return EncoderClassifier(unet.encoder, 2)
    if kind == "multitask":
        return attach_multitask_head(unet, 2)
    return unet


def _reference_scores(net: nn.Module, kind: str, x: torch.Tensor, target: tuple[int, ...]) -> torch.Tensor:
    out = net(x)
    if kind == "classifier":
        logits = out
    elif kind == "multitask":
        logits = get_head(net).last_logits
    else:
        logits = out.flatten(2).sum(-1)  # summed logit of every channel
    return logits[:, list(target)].sum(1)


def _hand_cam(net, kind, x, target, layer, plus):
    net = net.eval()
    if hasattr(net, "decoder"):
        net.decoder.deep_supervision = False
    stage = dict(net.named_modules())[layer]
    captured = {}
    handle = stage.register_forward_hook(lambda m, i, o: captured.__setitem__("a", o))
    score = _reference_scores(net, kind, x, target)
    handle.remove()
    acti = captured["a"]
    (grad,) = torch.autograd.grad(score.sum(), acti)
    dims = tuple(range(2, acti.ndim))
    if plus:
        alpha = grad.pow(2) / (2 * grad.pow(2) + (acti * grad.pow(3)).sum(dims, keepdim=True) + 1e-7)
        weights = (alpha * F.relu(grad)).sum(dims, keepdim=True)
    else:
        weights = grad.mean(dims, keepdim=True)
    cam = F.relu((weights * acti).sum(1, keepdim=True))
    mode = "bilinear" if x.ndim == 4 else "trilinear"
    return F.interpolate(cam, size=x.shape[2:], mode=mode, align_corners=False).detach()


KINDS = ["classifier", "multitask", "segmentation", "segmentation_residual"]


@pytest.mark.parametrize("dim", [2, 3])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method", ["gradcam", "gradcampp"])
def test_cam_equals_hand_computation(kind, dim, method):
    torch.manual_seed(0)
    x = torch.randn(2, 2, *[16] * dim)
    target = (1,) if kind in ("classifier", "multitask") else (1, 2)
    net = _network(kind, dim)
    model = SaliencyModel(net, [target], method)
    assert model.kind == network_kind(net) == kind.split("_")[0]
    assert model.layer == default_target_layer(net) == "encoder.stages.2"
    maps = model.maps(x)
    expected = _hand_cam(net, kind, x, target, "encoder.stages.2", plus=method == "gradcampp")
    assert maps.shape == (2, 1, *[16] * dim)
    assert expected.abs().max() > 0
    torch.testing.assert_close(maps, expected, rtol=1e-4, atol=1e-6 * float(expected.abs().max()))


@pytest.mark.parametrize("kind", KINDS)
def test_input_gradient_equals_autograd(kind):
    torch.manual_seed(1)
    x = torch.randn(2, 2, 16, 16, requires_grad=True)
    net = _network(kind, 2)
    target = (0,) if kind in ("classifier", "multitask") else (2,)
    maps = SaliencyModel(net, [target], "input_gradient").maps(x)
    net.eval()
    if hasattr(net, "decoder"):
        net.decoder.deep_supervision = False
    (grad,) = torch.autograd.grad(_reference_scores(net, kind, x, target).sum(), x)
    torch.testing.assert_close(maps, grad.abs().amax(1, keepdim=True))


def test_segmentation_score_sums_only_the_region_inside_the_padding():
    torch.manual_seed(2)
    x = torch.randn(1, 2, 16, 16)
    net = _network("segmentation", 2)
    model = SaliencyModel(net, [(1,), (1, 2)], "gradcam")
    region = (slice(2, 10), slice(4, 12))
    with torch.no_grad():
        net.eval()
        net.decoder.deep_supervision = False
        logits = net(x)[:, :, 2:10, 4:12].flatten(2).sum(-1)
    torch.testing.assert_close(model.class_scores(x, region),
                               torch.stack([logits[:, 1], logits[:, 1] + logits[:, 2]], 1))


def test_the_callers_network_is_left_alone():
    net = _network("segmentation", 2)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    SaliencyModel(net, [(1,)], "gradcampp").maps(torch.randn(1, 2, 16, 16))
    assert net.decoder.deep_supervision is True  # the copy's deep supervision was turned off, not this one
    assert all(p.requires_grad for p in net.parameters())
    assert all(not m._forward_hooks and not m._backward_hooks for m in net.modules())
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in before.items())


def test_layer_by_name_and_clear_error():
    net = _network("segmentation", 2)
    assert encoder_stage_names(net) == ["encoder.stages.0", "encoder.stages.1", "encoder.stages.2"]
    shallow = SaliencyModel(net, [(1,)], "gradcam", layer="encoder.stages.1").maps(torch.randn(1, 2, 16, 16))
    assert shallow.shape == (1, 1, 16, 16)
    with pytest.raises(SaliencyLayerError, match="encoder.stages.0, encoder.stages.1, encoder.stages.2"):
        SaliencyModel(net, [(1,)], "gradcam", layer="encoder.stages.7")
