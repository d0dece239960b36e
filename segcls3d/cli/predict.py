"""`segcls3d predict`: nnU-Net prediction + summarizing function -> masks and classification.csv."""
from __future__ import annotations

import argparse
import math
import sys
from typing import Optional, Union

from segcls3d.defaults import DEFAULT_TAU, DEFAULT_THRESHOLD


def fold(text: str) -> Union[int, str]:
    """argparse type: a fold number (an integer >= 0) or ``all``."""
    if text == "all":
        return text
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a fold number (0, 1, ...) or 'all', got {text!r}")
    return int(text)


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def probability_threshold(text: str) -> float:
    """argparse type: a number in the open interval (0, 1)."""
    value = _number(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must lie in (0, 1), got {text}")
    return value


def non_negative(text: str) -> float:
    """argparse type: a number >= 0."""
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def step_size(text: str) -> float:
    """argparse type: a sliding-window step (fraction of the patch) in (0, 1]."""
    value = _number(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must lie in (0, 1], got {text}")
    return value


def add_rule_arguments(parser, tau_default: Optional[float]) -> None:
    """The rule-based g's options (``--threshold --tau --tau-unit --score --top-k``), shared with summarize fit.

    ``tau_default`` None lets the caller decide (predict: the model's or the library default).
    """
    parser.add_argument("--threshold", type=probability_threshold, default=DEFAULT_THRESHOLD,
                        help=f"t: voxel probability threshold (default {DEFAULT_THRESHOLD:g})")
    parser.add_argument("--tau", type=non_negative, default=tau_default,
                        help=f"tau: minimum positive size (default {DEFAULT_TAU:g} voxels)")
    parser.add_argument("--tau-unit", choices=("voxels", "mm3"), default="voxels", help="unit of --tau")
    parser.add_argument("--score", type=score_name, default="paper",
                        help="case score: paper | max | topk_mean | soft_volume")
    parser.add_argument("--top-k", type=positive_int, default=10, help="k for --score topk_mean")


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    if not text.lstrip("+-").isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return int(text)


def score_name(text: str) -> str:
    """argparse type: a registered case score (:data:`segcls3d.summarize.scores.SCORES`)."""
    from segcls3d.summarize.scores import SCORES  # lazy: `segcls3d --help` must not import numpy/scipy

    if text not in SCORES:
        raise argparse.ArgumentTypeError(f"unknown score {text!r} (choose from {', '.join(sorted(SCORES))})")
    return text


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "predict", help="predict masks and image-level classes for a folder of images",
        description="Runs nnU-Net's predictor on every case of -i (files <case>_0000.nii.gz, or one file per case "
                    "for single-channel models) and writes OUT/<case>.nii.gz masks, OUT/classification.csv and "
                    "OUT/classes.json. Works with models of plain nnUNetTrainer too (rule-based g). With --overlays "
                    "also OUT/overlays/<case>.png and OUT/index.html.")
    p.add_argument("-i", "--input", required=True, help="folder with input images")
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("-m", "--model", required=True, help="trained model folder <trainer>__<plans>__<configuration>")
    p.add_argument("-f", "--folds", nargs="+", type=fold, default=None,
                   help="folds to ensemble (default: all available)")
    p.add_argument("-chk", "--checkpoint", default="checkpoint_final.pth", help="checkpoint file name")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (default: auto)")
    add_rule_arguments(p, tau_default=None)
    p.add_argument("--summarizer", default=None, help="summarizer JSON file (overrides --threshold/--tau/--score)")
    p.add_argument("--save-probabilities", action="store_true", help="also write OUT/<case>.npz probabilities")
    p.add_argument("--overlays", action="store_true",
                   help="also draw OUT/overlays/<case>.png (the slice of most evidence for the top class, mask "
                        "contours, probabilities) and write OUT/index.html, an offline page of the cases")
    p.add_argument("--bridge-saliency", action="store_true",
                   help="MultiMix models: also write OUT/saliency/<case>.npz, the saliency bridge's map per class "
                        "(input gradient of the class score), drawn in the overlays")
    p.add_argument("--prev-stage-predictions", default=None, help="folder of previous-stage masks (cascade)")
    p.add_argument("--disable-tta", action="store_true", help="no mirroring test-time augmentation")
    p.add_argument("--step-size", type=step_size, default=0.5,
                   help="sliding-window step size, a fraction of the patch in (0, 1] (default 0.5)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace results of another model/summarizer (or not written by segcls3d) in -o")
    p.add_argument("--trust-checkpoint", action="store_true",
                   help="load checkpoints with nnU-Net's torch.load(weights_only=False), which can run code "
                        "stored in the file: only for trusted files that a safe load refuses")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from segcls3d.model.loading import load_model
    from segcls3d.predict.input_checks import check_cases, check_output_folder, read_model_spec
    from segcls3d.predict.run import predict_folder
    from segcls3d.summarize import RuleBasedSummarizer, load_summarizer

    cases, problems = check_cases(args.input, read_model_spec(args.model))  # before the model loads
    check_output_folder(args.output)
    if args.summarizer:
        summarizer = load_summarizer(args.summarizer)
    else:
        summarizer = RuleBasedSummarizer(threshold=args.threshold, tau=DEFAULT_TAU if args.tau is None else args.tau,
                                         tau_unit=args.tau_unit, score=args.score, top_k=args.top_k)
    if not cases:
        return _report(0, None, problems)
    model = load_model(args.model, args.folds, args.checkpoint, args.device, not args.disable_tta, args.step_size,
                       trust_checkpoint=args.trust_checkpoint)
    report = predict_folder(model, args.input, args.output, summarizer, args.save_probabilities,
                            args.prev_stage_predictions, cases=list(cases), overwrite=args.overwrite,
                            check_inputs=False,  # inputs checked above, before the model loaded
                            overlays=args.overlays, bridge_saliency=args.bridge_saliency)
    if report.index_path is not None:
        print(f"overlays: {report.index_path}")
    return _report(len(report.rows), report.csv_path, {**problems, **report.failures}, report.overlay_failures)


def _report(n_rows: int, csv_path, failures: dict[str, str], overlay_failures: Optional[dict[str, str]] = None) -> int:
    """Print the outcome; exit code 1 when a case (or its requested overlay) failed."""
    print(f"predicted {n_rows} case(s) -> {csv_path}")
    for what, problems in (("case(s) failed", failures), ("overlay(s) failed", overlay_failures or {})):
        if problems:
            print(f"{len(problems)} {what}:", file=sys.stderr)
            for case, reason in sorted(problems.items()):
                print(f"  {case}: {reason}", file=sys.stderr)
    return 1 if failures or overlay_failures else 0
