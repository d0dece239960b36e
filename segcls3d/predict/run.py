"""Predict a folder: masks, optional probabilities, classification.csv and classes.json."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence, Union

from tqdm import tqdm

import segcls3d.summarize.trained  # noqa: F401  (registers the trained summarizer kinds for load_summarizer)
from segcls3d.io import write_json_atomic
from segcls3d.model.loading import LoadedModel
from segcls3d.predict.case import predict_case
from segcls3d.predict.inputs import collect_cases
from segcls3d.summarize import write_classification_csv

logger = logging.getLogger(__name__)
PathLike = Union[str, Path]


@dataclass
class PredictionReport:
    """What a predict run produced: rows written and cases that failed (with the reason)."""

    rows: list[dict] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    csv_path: Optional[Path] = None


def predict_folder(
    model: LoadedModel,
    input_dir: PathLike,
    output_dir: PathLike,
    summarizer,
    save_probabilities: bool = False,
    previous_stage_dir: Optional[PathLike] = None,
    cases: Optional[Sequence[str]] = None,
) -> PredictionReport:
    """Predict every case of ``input_dir``; a failing case is reported and the others go on."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    ending = model.dataset_json["file_ending"]
    num_channels = len(model.dataset_json.get("channel_names", model.dataset_json.get("modality", {})))
    found, report_failures = collect_cases(input_dir, ending, num_channels)
    if cases is not None:
        found = {k: v for k, v in found.items() if k in set(cases)}
    report = PredictionReport(failures=dict(report_failures))
    if hasattr(summarizer, "check_model"):  # trained summarizers refuse a model with another label set
        summarizer.check_model(model)
    write_json_atomic(out / "classes.json", {
        "classes": {c.name: list(c.label_ids) for c in model.classes},
        "labels": model.dataset_json.get("labels", {}),
        "model": str(model.folder), "kind": model.kind, "summarizer": summarizer.to_dict(),
    })
    for case_id, files in tqdm(found.items(), desc="predicting", unit="case"):
        previous = None
        if previous_stage_dir is not None:
            previous = Path(previous_stage_dir) / f"{case_id}{ending}"
            if not previous.is_file():
                report.failures[case_id] = f"no previous-stage prediction {previous}"
                continue
        try:
            report.rows.append(predict_case(model, files, summarizer, out, case_id, save_probabilities, previous))
        except Exception as exc:  # noqa: BLE001 - one bad case must not stop the others
            logger.debug("case %s failed", case_id, exc_info=True)
            report.failures[case_id] = f"{type(exc).__name__}: {exc}"
    for case_id, reason in sorted(report.failures.items()):
        logger.error("case '%s' was not predicted: %s", case_id, reason)
    if report.rows:
        report.csv_path = write_classification_csv(out / "classification.csv", report.rows)
    return report
