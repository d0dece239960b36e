"""The GLAM network on nnU-Net encoders: shapes in 2D/3D, maps as segmentation logits, stages, the head protocol."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from glam_fakes import DATASET_JSON, configuration_manager, plans
from nnunetv2.utilities.label_handling.label_handling import LabelManager

from segcls3d.errors import LabelFileError, ModelFolderError
from segcls3d.model.glam import (
    GLAMConfig,
    GlobalClassifier,
    build_glam_network,
    read_glam_config,
    saliency_from_probabilities,
    store_glam_config,
)
from segcls3d.model.glam.config import OutputChannels
from segcls3d.model.glam.output_maps import maps_to_segmentation, saliency_to_logits
from segcls3d.model.glam.pooling import top_t_pool
from segcls3d.model.heads import get_head
from segcls3d.model.plans_classes import store_classes


@pytest.mark.parametrize("dim, patch", [(2, (48, 48)), (3, (24, 24, 24))])
def test_forward_returns_the_fused_map_as_logits_of_the_input_size(dim, patch):
    torch.manual_seed(0)
    net = build_glam_network(configuration_manager(dim, patch), 1, 2).eval()
    assert net.local_patch == ((12, 12) if dim == 2 else (8, 8, 8))
    x = torch.randn(2, 1, *patch)
    with torch.no_grad():
        net.set_stage("global")
        global_only = net(x)
        out_global = net.run(x, with_local=False)
        net.set_stage("joint")
        logits = net(x)
        out = net.run(x)
    assert logits.shape == (2, 2, *patch)
    for b in range(2):  # nnU-Net's softmax of the logits gives the map back
        maps = saliency_from_probabilities(torch.softmax(logits[b], 0).numpy(), net.outputs)
        assert torch.allclose(torch.from_numpy(maps), out.saliency[b].clamp(1e-4, 1 - 1e-4), atol=1e-5)
        assert torch.equal((logits[b].argmax(0) == 1), out.saliency[b, 0] > 0.5)
    assert torch.allclose(out.saliency, 0.5 * out.global_map + 0.5 * out.local_map)
    maps = saliency_from_probabilities(torch.softmax(global_only[0], 0).numpy(), net.outputs)
    assert torch.allclose(torch.from_numpy(maps), out_global.saliency[0].clamp(1e-4, 1 - 1e-4), atol=1e-5)
    head = get_head(net)  # the predictor records the global score like a multitask head's
    assert torch.allclose(torch.sigmoid(head.last_logits), out.glob.score.clamp(1e-4, 1 - 1e-4), atol=1e-6)
    assert torch.allclose(torch.sigmoid(GlobalClassifier(net)(x)), out.glob.score, atol=1e-5)


def test_global_module_scales_and_scores():
    net = build_glam_network(configuration_manager(2, (64, 64)), 1, 2).eval()
    x = torch.randn(1, 1, 64, 64)
    with torch.no_grad():
        out = net.run(x, with_local=False)
    assert [tuple(m.shape[2:]) for m in out.glob.scale_maps] == [(16, 16), (8, 8), (4, 4)]  # input shrunk to 32
    expected = torch.stack([top_t_pool(m, 0.03) for m in out.glob.scale_maps]).mean(0)
    assert torch.allclose(out.glob.score, expected)
    coarse = [torch.nn.functional.interpolate(m, size=(16, 16), mode="nearest") for m in out.glob.scale_maps]
    assert torch.allclose(out.glob.saliency, 0.2 * coarse[0] + 0.6 * coarse[1] + 0.2 * coarse[2], atol=1e-6)


def test_local_maps_keep_a_quarter_of_the_patch_resolution_and_land_in_their_boxes():
    net = build_glam_network(configuration_manager(2, (64, 64)), 1, 2).eval()
    x = torch.randn(2, 1, 64, 64)
    starts = [[(0, 0), (32, 48)], [(8, 8), (40, 40)]]
    with torch.no_grad():
        out = net.run(x, k=2, select=lambda maps, k: starts, aggregation="concat")
    assert out.patch_maps.shape == (4, 1, 4, 4)  # 16 x 16 patches, stride 4
    outside = torch.ones(64, 64, dtype=torch.bool)
    outside[0:16, 0:16] = outside[32:48, 48:64] = False
    assert out.local_map[0, 0][outside].abs().sum() == 0 and out.local_map[0, 0][~outside].min() > 0
    bag = out.patch_maps.reshape(2, 2, 1, 16).transpose(1, 2).reshape(2, 1, 32)
    assert torch.allclose(out.local_score, top_t_pool(bag, 0.2))  # concatenation: top 20% of both patches


def test_attention_aggregation_weights_patch_scores():
    net = build_glam_network(configuration_manager(2, (48, 48)), 1, 2).eval()
    with torch.no_grad():
        out = net.run(torch.randn(2, 1, 48, 48), k=3, aggregation="attention")
        maps, features = net.local_module(torch.zeros(6, 1, 12, 12))
        alpha = net.local_module.attention(features.reshape(2, 3, -1))
    assert torch.allclose(alpha.sum(1), torch.ones(2)) and (alpha >= 0).all()
    per_patch = top_t_pool(out.patch_maps, 0.2).reshape(2, 3, 1)
    assert out.local_score.min() >= per_patch.min() - 1e-6 and out.local_score.max() <= per_patch.max() + 1e-6
    assert out.fusion_logits.shape == (2, 1)


def test_settings_survive_the_plans_and_size_the_network():
    config = replace(GLAMConfig(), patches_train=3, local_patch_fraction=0.5, global_map_weight=0.3)
    stored, outputs = read_glam_config(configuration_manager(2, (48, 48), config).configuration)
    assert stored == config and outputs == OutputChannels((1,), True, 2)
    assert build_glam_network(configuration_manager(2, (48, 48), config), 1, 2).local_patch == (24, 24)
    with pytest.raises(ModelFolderError, match="nnUNetTrainerGLAM"):
        read_glam_config(plans(2, (48, 48))["configurations"]["c"])


def test_region_outputs_are_the_map_itself():
    out = OutputChannels((0, 1), background=False, num_outputs=2)
    s = torch.rand(1, 2, 5, 5) * 0.9 + 0.05
    assert torch.allclose(torch.sigmoid(saliency_to_logits(s, out)), s, atol=1e-6)


def test_classes_sharing_their_only_label_are_refused():
    dataset = dict(DATASET_JSON, segcls3d={"classes": {"a": [1], "b": [1]}})
    with pytest.raises(LabelFileError, match="own"):
        store_glam_config(store_classes(plans(2, (48, 48)), "c", dataset), "c", dataset, GLAMConfig())
    dataset = dict(DATASET_JSON, labels={"background": 0, "x": 1, "y": 2},
                   segcls3d={"classes": {"any": [1, 2], "x": [1], "cls_only": []}})
    stored = store_glam_config(store_classes(plans(2, (48, 48)), "c", dataset), "c", dataset, GLAMConfig())
    assert read_glam_config(stored["configurations"]["c"])[1].class_channels == (2, 1, None)


def test_thresholded_maps_become_nnunets_mask():
    maps = np.array([[[0.2, 0.6, 0.7, 0.35]], [[0.1, 0.4, 0.9, 0.3]]], dtype=np.float32)  # classes a (1), b (2)
    softmax = LabelManager({"background": 0, "a": 1, "b": 2}, regions_class_order=None)
    out = OutputChannels((1, 2), True, 3)
    assert maps_to_segmentation(maps, out, softmax, 0.5).tolist() == [[0, 1, 2, 0]]
    assert maps_to_segmentation(maps, out, softmax, 0.3).tolist() == [[0, 1, 2, 1]]
    # at 0.5 it is nnU-Net's own argmax of the logits GLAM's forward returns
    logits = saliency_to_logits(torch.from_numpy(maps)[None], out)[0]
    assert maps_to_segmentation(maps, out, softmax).tolist() == logits.argmax(0).tolist()
    regions = LabelManager({"background": 0, "whole": [1, 2], "core": 2}, regions_class_order=[1, 2])
    region_out = OutputChannels((0, 1), False, 2)
    assert maps_to_segmentation(maps, region_out, regions, 0.5).tolist() == [[0, 1, 2, 0]]
    assert maps_to_segmentation(maps, region_out, regions, 0.32).tolist() == [[0, 2, 2, 1]]


def test_logits_stay_finite_for_half_precision_maps():
    out = OutputChannels((1,), True, 2)
    logits = saliency_to_logits(torch.tensor([[[0.0, 1.0, 0.99999]]], dtype=torch.float16), out)
    assert logits.dtype == torch.float32 and torch.isfinite(logits).all()
