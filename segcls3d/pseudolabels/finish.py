"""Last step of every derived dataset: test split, classification_labels.csv, dataset.json, log."""
from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from segcls3d.labels import LABELS_FILENAME, write_case_labels
from segcls3d.pseudolabels.dataset_files import link_test_split, write_derived_dataset_json
from segcls3d.pseudolabels.raw_dataset import RawDataset
from segcls3d.pseudolabels.records import CaseRecord, RecordStore

logger = logging.getLogger(__name__)


def label_row(values: np.ndarray, class_names: Sequence[str]) -> dict[str, Optional[float]]:
    """``{class: 0/1/None}`` for write_case_labels (NaN -> None = unknown)."""
    return {n: (None if math.isnan(float(v)) else float(v)) for n, v in zip(class_names, values)}


def finish_dataset(
    source: RawDataset,
    out_dir: Path,
    store: RecordStore,
    records: Sequence[CaseRecord],
    train_labels: Mapping[str, np.ndarray],
    labels_json: Optional[Mapping[str, Any]] = None,
    segcls3d_block: Optional[Mapping[str, Any]] = None,
) -> Path:
    """Link the test split of ``source``, write the labels CSV, dataset.json and pseudolabel_log.csv.

    ``train_labels`` holds the class labels of every training case of the new dataset; the test cases
    keep the labels of ``source``. Returns the dataset.json path.
    """
    link_test_split(source.folder, out_dir)
    names = source.class_names
    rows = {case: label_row(values, names) for case, values in train_labels.items()}
    for case in source.test_images:
        rows[case] = label_row(source.case_label(case, "test"), names)
    write_case_labels(out_dir / LABELS_FILENAME, rows, names)
    n_train = sum(r.included for r in records)
    path = write_derived_dataset_json(out_dir, source.dataset_json, n_train, labels_json, segcls3d_block)
    store.write_log(records)
    counts: dict[str, int] = {}
    for r in records:
        counts[r.action] = counts.get(r.action, 0) + 1
    logger.info("%s: %d training case(s); actions %s", out_dir, n_train, counts)
    return path
