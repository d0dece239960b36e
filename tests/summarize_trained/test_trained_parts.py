"""Building blocks of the trained summarizers: grid pooling, weights, standardization, tuning, 2D maps."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from fake_trained_model import held_out, make_model_folder
from sklearn.metrics import roc_auc_score

from segcls3d.errors import InputDataError
from segcls3d.summarize import RuleBasedSummarizer
from segcls3d.summarize.trained import FitOptions, fit_summarizer
from segcls3d.summarize.trained.grid import maps_to_grid, resolve_grid, spatial_dims_of
from segcls3d.summarize.trained.heads import build_head
from segcls3d.summarize.trained.threshold import candidate_taus, threshold_statistics, tune_class
from segcls3d.summarize.trained.training import inner_split
from segcls3d.summarize.trained.weights import decode_state_dict, encode_state_dict


def test_maps_to_grid_averages_blocks_and_handles_single_slices():
    m = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    out = maps_to_grid({"a": m, "b": 2 * m}, ["b", "a"], (2, 2))
    assert out.shape == (2, 2, 2)
    np.testing.assert_allclose(out[1].numpy(), [[2.5, 4.5], [10.5, 12.5]])
    np.testing.assert_allclose(out[0].numpy(), 2 * out[1].numpy())
    vol = np.ones((4, 6, 6), np.float32)
    assert maps_to_grid({"a": vol}, ["a"], (2, 3, 3)).shape == (1, 2, 3, 3)
    with pytest.raises(InputDataError, match="2D"):
        maps_to_grid({"a": vol}, ["a"], (2, 2))
    with pytest.raises(InputDataError, match="no probability map"):
        maps_to_grid({"a": vol}, ["c"], (2, 2, 2))
    assert spatial_dims_of([(1, 5, 5), (1, 7, 7)]) == 2 and spatial_dims_of([(1, 5, 5), (3, 5, 5)]) == 3
    assert resolve_grid(None, 2) == (32, 32) and resolve_grid([4], 3) == (4, 4, 4) and resolve_grid(5, 2) == (5, 5)
    with pytest.raises(ValueError):
        resolve_grid([4, 4], 3)


def test_weights_round_trip_exactly():
    torch.manual_seed(0)
    head = build_head("embedding_complex", 3, (8, 8, 8), 2)
    head[0].fit(torch.randn(5, 3, 8, 8, 8) * 3 + 1)
    encoded = encode_state_dict(head.state_dict())
    n_floats = sum(v.numel() for v in head.state_dict().values() if v.is_floating_point())
    assert (encoded["format"], encoded["n_parameters"]) == ("npz-base64", n_floats)
    restored = build_head("embedding_complex", 3, (8, 8, 8), 2)
    restored.load_state_dict(decode_state_dict(encoded))
    x = torch.randn(2, 3, 8, 8, 8)
    assert torch.equal(head.eval()(x), restored.eval()(x))
    with pytest.raises(ValueError, match="corrupt"):
        decode_state_dict({**encoded, "data": "not base64!"})


def test_standardization_statistics():
    x = torch.tensor([[[1.0, 3.0]], [[5.0, 7.0]]])  # (N=2, C=1, 2)
    norm = build_head("fc", 1, (2,) * 2, 1)[0]
    norm.fit(x.reshape(2, 1, 1, 2))
    assert norm.mean.item() == pytest.approx(4.0) and norm.std.item() == pytest.approx(np.std([1, 3, 5, 7], ddof=1))


def test_inner_split_is_stratified_and_disjoint():
    y = np.array([[1.0]] * 8 + [[0.0]] * 12)
    train, val = inner_split(y, 0.25, seed=0)
    assert len(val) == 5 and not set(train) & set(val) and len(train) + len(val) == 20
    assert 1 <= y[val, 0].sum() <= 3


def test_tune_class_is_the_best_rule_on_a_brute_force_grid():
    rng = np.random.default_rng(3)
    maps, y = [], []
    for i in range(24):
        p = rng.uniform(0, 0.6, (4, 6, 6)).astype(np.float32)  # overlapping classes: no perfect rule
        k = int(rng.integers(0, 12)) + (6 if i % 2 == 0 else 0)
        p.flat[rng.choice(p.size, k, replace=False)] = rng.uniform(0.5, 1.0, k)
        maps.append(p)
        y.append(i % 2 == 0)
    y = np.array(y, float)
    thresholds = (0.3, 0.5, 0.7)
    stats = np.stack([threshold_statistics(m, thresholds) for m in maps])
    best = tune_class(stats, y, thresholds)

    def rule_auroc(t, tau):
        rule = RuleBasedSummarizer(threshold=t, tau=tau)
        return roc_auc_score(y, [rule.summarize_map(m, (1, 1, 1)).probability for m in maps])

    assert best["auroc"] == pytest.approx(rule_auroc(best["threshold"], best["tau"]), abs=1e-12)
    brute = max(rule_auroc(t, tau) for t in thresholds for tau in range(0, 40))
    assert best["auroc"] == pytest.approx(brute, abs=1e-12)
    assert candidate_taus(np.array([0, 2, 2, 27])).tolist() == [0.0, 1.0, 15.0]


def test_fit_on_single_slice_2d_maps(tmp_path):
    folder, csv = make_model_folder(tmp_path, n_cases=24, shape=(1, 20, 20))
    s = fit_summarizer(folder, csv, "fc", FitOptions(lr=1e-2, epochs=30, grid=[5]))
    assert s.grid == (5, 5)
    maps, y = held_out(20, shape=(1, 20, 20))
    p = [s.summarize(m, (999.0, 1.0, 1.0))["lesion"].probability for m in maps]
    assert roc_auc_score(y, p) >= 0.8
    with pytest.raises(InputDataError, match="2D"):
        s.summarize({"lesion": np.zeros((3, 20, 20), np.float32)}, (1.0, 1.0, 1.0))
