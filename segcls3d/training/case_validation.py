"""Final validation: classification.csv and image-level metrics of the full validation cases."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from segcls3d.evaluate import EvaluationResult, evaluate_predictions
from segcls3d.io import write_json_atomic
from segcls3d.labels import CaseLabels
from segcls3d.summarize import write_classification_csv

SUMMARY_FILENAME = "summary_classification.json"


def report_case_validation(rows: Sequence[dict], folder: Path, labels: CaseLabels,
                           log: Callable[[str, str, float], None]) -> EvaluationResult:
    """Write ``folder/classification.csv`` and ``summary_classification.json``; ``log(class, source, auroc)``
    is called for every class and score source. Returns the evaluation as written."""
    write_classification_csv(folder / "classification.csv", rows)
    result = evaluate_predictions(pd.DataFrame(list(rows)), labels, n_bootstrap=200, seed=0)
    write_json_atomic(folder / SUMMARY_FILENAME, result.to_dict())
    for name, per_class in result.classes.items():
        for source, metrics in per_class.sources.items():
            log(name, source, metrics.auroc.value)
    return result
