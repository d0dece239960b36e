"""Which case score of the rule-based g ranks best? One prediction pass, every score, AUROC with CI.

    python benchmarks/score_comparison.py --model MODEL_FOLDER --images imagesTs \
        --labels classification_labels.csv -o score_comparison [--tau TAU] [--device cpu]

Predicts once with probabilities kept, then applies RuleBasedSummarizer with each score of
``segcls3d.summarize.SCORES`` (same t and tau) and evaluates each against the labels.
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
import SimpleITK as sitk

from segcls3d.defaults import DEFAULT_TAU
from segcls3d.evaluate import evaluate_predictions
from segcls3d.io import write_json_atomic, write_text_atomic
from segcls3d.labels import CaseLabels
from segcls3d.model.loading import load_model
from segcls3d.predict.run import predict_folder
from segcls3d.summarize import SCORES, RuleBasedSummarizer, class_probability_maps, summary_row


def _fmt(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--images", required=True)
    parser.add_argument("--labels", required=True)
    parser.add_argument("-o", "--out", required=True)
    parser.add_argument("--tau", type=float, default=DEFAULT_TAU, help=f"tau in voxels (default {DEFAULT_TAU:g})")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    out = Path(args.out)
    model = load_model(args.model, device=args.device)
    predict_folder(model, args.images, out / "predictions", RuleBasedSummarizer(tau=args.tau), save_probabilities=True)
    labels = CaseLabels.load(args.labels, model.class_names)
    spacing_by_case = {}
    for f in sorted((out / "predictions").glob("*.nii.gz")):
        spacing_by_case[f.name[:-7]] = tuple(reversed(sitk.ReadImage(str(f)).GetSpacing()))
    rows_by_score = {score: [] for score in SCORES}
    for npz in sorted((out / "predictions").glob("*.npz")):
        case = npz.stem
        maps = class_probability_maps(np.load(npz)["probabilities"].astype(np.float32), model.channel_groups)
        for score in SCORES:
            summary = RuleBasedSummarizer(tau=args.tau, score=score).summarize(maps, spacing_by_case[case])
            rows_by_score[score].append(summary_row(case, summary))
    table = ["| score | class | AUROC [95% CI] | balanced acc. (Youden) |", "|---|---|---|---|"]
    results = {}
    for score, rows in rows_by_score.items():
        result = evaluate_predictions(pd.DataFrame(rows), labels, n_bootstrap=args.bootstrap, seed=0)
        results[score] = result.to_dict()
        for name, per_class in result.classes.items():
            src = per_class.sources["summarizer"]
            a, bal = src.auroc, src.youden.balanced_accuracy
            auroc = f"{_fmt(a.value)} [{_fmt(a.ci_lower)}, {_fmt(a.ci_upper)}]"
            table.append(f"| {score} | {name} | {auroc} | {_fmt(bal.value)} |")
    write_json_atomic(out / "score_comparison.json", results)
    write_text_atomic(out / "score_comparison.md", "\n".join(table) + "\n")
    print("\n".join(table))


if __name__ == "__main__":
    main()
