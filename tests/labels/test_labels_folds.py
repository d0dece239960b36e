"""Folds stratified by the image-level labels: a positive case in every validation fold."""
from __future__ import annotations

import numpy as np
import pytest

from segcls3d.labels.folds import folds_without_positives, label_strata, stratified_folds


def _ids(n):
    return [f"case_{i:03d}" for i in range(n)]


def _check_partition(splits, ids):
    vals = [c for fold in splits for c in fold["val"]]
    assert sorted(vals) == sorted(ids)  # each case validates exactly once
    for fold in splits:
        assert not set(fold["train"]) & set(fold["val"])
        assert sorted(fold["train"] + fold["val"]) == sorted(ids)


@pytest.mark.parametrize("n, n_pos", [(60, 5), (60, 6), (25, 5), (200, 7), (100, 50)])
def test_every_validation_fold_has_a_positive_with_at_least_five(n, n_pos):
    for seed in range(10):
        ids = _ids(n)
        labels = np.zeros((n, 1))
        labels[np.random.default_rng(seed).choice(n, n_pos, replace=False)] = 1
        splits = stratified_folds(ids, labels, seed=seed)
        _check_partition(splits, ids)
        assert len(splits) == 5
        assert folds_without_positives(splits, dict(zip(ids, labels)), ["a"]) == []
        per_fold = [sum(labels[ids.index(c), 0] for c in f["val"]) for f in splits]
        assert max(per_fold) - min(per_fold) <= 1  # spread evenly


def test_grouped_folds_keep_patients_together_and_still_stratify():
    rng = np.random.default_rng(3)
    ids = _ids(90)
    groups = {c: f"patient_{i // 3}" for i, c in enumerate(ids)}  # 30 patients, 3 images each
    labels = np.array([[1.0 if (i // 3) % 5 == 0 else 0.0] for i in range(90)])  # 6 positive patients
    rng.shuffle(ids)
    splits = stratified_folds(ids, labels, groups)
    _check_partition(splits, ids)
    for fold in splits:
        assert not {groups[c] for c in fold["train"]} & {groups[c] for c in fold["val"]}
    assert folds_without_positives(splits, dict(zip(ids, labels)), ["a"]) == []


def test_unknown_labels_and_all_negatives():
    ids = _ids(20)
    unknown = np.full((20, 1), np.nan)
    _check_partition(stratified_folds(ids, unknown), ids)
    negatives = np.zeros((20, 1))
    splits = stratified_folds(ids, negatives)
    _check_partition(splits, ids)
    assert folds_without_positives(splits, dict(zip(ids, negatives)), ["a"]) == []  # nothing to miss


def test_multi_class_exclusive_classes_each_in_every_fold():
    ids = _ids(50)
    labels = np.zeros((50, 2))
    labels[:5, 0] = 1
    labels[5:12, 1] = 1
    labels[12:15] = np.nan
    splits = stratified_folds(ids, labels)
    _check_partition(splits, ids)
    assert folds_without_positives(splits, dict(zip(ids, labels)), ["a", "b"]) == []
    assert label_strata(labels[[0, 5, 12, 20]]) == ["1,0", "0,1", "?,?", "0,0"]


def test_fewer_cases_than_folds_gives_fewer_folds():
    ids = _ids(3)
    splits = stratified_folds(ids, np.array([[1.0], [0.0], [0.0]]))
    assert len(splits) == 3
    _check_partition(splits, ids)
    with pytest.raises(ValueError, match="at least two"):
        stratified_folds(ids[:1], np.array([[1.0]]))


def test_reports_a_fold_without_positives():
    splits = [{"train": ["b"], "val": ["a"]}, {"train": ["a"], "val": ["b"]}]
    labels = {"a": np.array([1.0]), "b": np.array([0.0])}
    assert folds_without_positives(splits, labels, ["x"]) == [(1, "x")]
