"""Embedding summarizers: decoder-stage features of real (random-weight) nnU-Net checkpoints, fit and predict."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from fake_trained_model import add_checkpoints, case_ids, make_model_folder, write_images, write_preprocessed

from segcls3d.model.loading import load_model
from segcls3d.predict.run import predict_folder
from segcls3d.summarize import load_summarizer, save_summarizer
from segcls3d.summarize.trained import EmbeddingSummarizer, FitOptions, embedding_module, fit_summarizer
from segcls3d.summarize.trained.embedding_data import out_of_fold_features
from segcls3d.summarize.trained.features import extract_features, tile_slicers
from segcls3d.summarize.trained.model_info import read_model_info
from segcls3d.summarize.trained.out_of_fold import model_folds, out_of_fold_cases

CASES = case_ids(4)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("emb")
    folder, csv = make_model_folder(root, n_cases=4)
    add_checkpoints(folder)
    write_images(root / "images", CASES)
    model = load_model(folder, [0, 1], device="cpu", use_mirroring=False)
    write_preprocessed(model.predictor, root / "images", root / "pre", CASES)
    return root, folder, csv, model


def _decoder_stage(net, x, index):
    """Output of decoder.stages[index], computed without hooks (UNetDecoder.forward by hand)."""
    skips = net.encoder(x)
    low = skips[-1]
    for s in range(index + 1):
        up = torch.cat((net.decoder.transpconvs[s](low), skips[-(s + 2)]), 1)
        low = net.decoder.stages[s](up)
    return low


def test_layers_and_single_tile_features(setup):
    _, _, _, model = setup
    net = model.predictor.network
    assert embedding_module(net, "shallow")[1] == "decoder.stages[1]"  # 2 decoder stages: the last one
    assert embedding_module(net, "deep")[1] == "decoder.stages[0]"  # max(D - 3, 0)
    net.load_state_dict(model.predictor.list_of_parameters[0])
    x = torch.randn(1, 1, 8, 8, 8)
    for layer, index, channels in (("shallow", 1, 4), ("deep", 0, 8)):
        got = extract_features(net, x[0].numpy(), [8, 8, 8], layer, (4, 4, 4))
        with torch.no_grad():
            expected = F.adaptive_avg_pool3d(_decoder_stage(net.eval(), x, index), 4)[0].numpy()
        assert got.shape == (channels, 4, 4, 4)
        np.testing.assert_allclose(got, expected, atol=1e-5)


def test_tiles_match_nnunet_and_features_are_the_max_over_tiles(setup):
    _, _, _, model = setup
    p = model.predictor
    assert tile_slicers((10, 14, 14), [8, 8, 8]) == p._internal_get_sliding_window_slicers((10, 14, 14))
    slices_2d = tile_slicers((3, 14, 14), [8, 8])
    assert len(slices_2d) == 3 * 3 * 3 and slices_2d[0] == (slice(None), 0, slice(0, 8), slice(0, 8))
    net = p.network
    data = np.random.default_rng(1).normal(size=(1, 10, 14, 14)).astype(np.float32)
    got = extract_features(net, data, [8, 8, 8], "deep", (2, 2, 2))
    tiles = tile_slicers(data.shape[1:], [8, 8, 8])
    per_tile = [extract_features(net, data[t], [8, 8, 8], "deep", (2, 2, 2)) for t in tiles]
    assert len(per_tile) == 2 * 3 * 3  # nnU-Net steps: z 0,2; y and x 0,3,6
    np.testing.assert_allclose(got, np.max(per_tile, axis=0), atol=1e-6)


def test_out_of_fold_features_use_the_fold_that_did_not_train(setup):
    root, folder, _, model = setup
    info = read_model_info(folder)
    cases = out_of_fold_cases(folder, model_folds(folder), info.file_ending, need_probabilities=False)
    assert {c.case_id: c.fold for c in cases} == {"case_000": 0, "case_001": 1, "case_002": 0, "case_003": 1}
    x, name, grid = out_of_fold_features(info, cases, "deep", [8], preprocessed=root / "pre")
    assert x.shape == (4, 8, 8, 8, 8) and name == "decoder.stages[0]" and grid == (8, 8, 8)
    # same features at predict time from a model of only the case's fold: preprocessing agrees
    s = EmbeddingSummarizer("embedding_simple", ["lesion"], {"labels": 0, "classes": 0, "channel_groups": 0}, "deep",
                            name, 8, grid, module=torch.nn.Linear(1, 1))
    from nnunetv2.imageio.simpleitk_reader_writer import SimpleITKIO

    fold1 = load_model(folder, [1], device="cpu", use_mirroring=False).predictor
    image, props = SimpleITKIO().read_images([str(root / "images" / "case_003_0000.nii.gz")])
    np.testing.assert_allclose(s.case_features(fold1, image, props)[0], x[3], atol=1e-5)


@pytest.mark.parametrize("method, layer", [("embedding_simple", "deep"), ("embedding_complex", "shallow")])
def test_fit_save_load_and_predict(setup, tmp_path, method, layer):
    root, folder, csv, _ = setup
    s = fit_summarizer(folder, csv, method, FitOptions(lr=1e-3, epochs=3, layer=layer, preprocessed=root / "pre"))
    assert isinstance(s, EmbeddingSummarizer) and s.needs_features and s.layer == layer
    assert s.feature_grid == (8, 8, 8) and s.feature_channels == (8 if layer == "deep" else 4)
    path = save_summarizer(tmp_path / f"{method}.json", s)
    loaded = load_summarizer(path)
    features = np.random.default_rng(0).normal(size=(2, s.feature_channels, 8, 8, 8)).astype(np.float32)
    maps = {"lesion": np.zeros((8, 10, 10), np.float32)}
    np.testing.assert_allclose(loaded.probabilities(maps, features), s.probabilities(maps, features), atol=1e-6)
    with pytest.raises(Exception, match="needs the network's features"):
        loaded.summarize(maps, (1.5, 1.0, 1.0))

    model = load_model(folder, [0, 1], device="cpu", use_mirroring=False)
    report = predict_folder(model, root / "images", tmp_path / "out", loaded)
    assert not report.failures
    table = pd.read_csv(report.csv_path).set_index("case_id")
    assert list(table.index) == CASES
    from nnunetv2.imageio.simpleitk_reader_writer import SimpleITKIO

    image, props = SimpleITKIO().read_images([str(root / "images" / "case_002_0000.nii.gz")])
    expected = loaded.probabilities(maps, loaded.case_features(model.predictor, image, props))[0]
    assert table.loc["case_002", "lesion_probability"] == pytest.approx(expected, abs=1e-5)
    assert set(table["lesion_label"]) <= {0, 1}
