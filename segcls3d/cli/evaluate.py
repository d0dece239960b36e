"""`segcls3d evaluate`: metrics of classification.csv (+ masks) against classification_labels.csv."""
from __future__ import annotations

import argparse
import logging
import warnings

from segcls3d.errors import InputDataError
from segcls3d.io import write_json_atomic, write_text_atomic

logger = logging.getLogger("segcls3d.evaluate")


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text}")
    return value


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate", help="AUROC/operating-point metrics with bootstrap CIs, strict recall, Dice",
        description="Evaluate `segcls3d predict` output against image-level labels: per class and score source "
                    "(summarizer <class>_probability, head <class>_head_probability) AUROC with a bootstrap CI, "
                    "the Youden operating point and the model's own labels (balanced accuracy, recall, precision, "
                    "specificity), Brier score and expected calibration error for probability scores; with masks "
                    "also strict recall (a true positive must overlap the true region), Dice/IoU and where errors "
                    "lie (each true connected component found or missed, false-positive components, per label). "
                    "Stops with exit code 2 when the files share no case, a score is not a finite "
                    "number, a probability lies outside [0, 1] (the soft_volume summarizer score, a rank, is "
                    "recognised from classes.json) or predicted masks lie on another grid (shape, spacing, origin, "
                    "direction) than the reference.")
    p.add_argument("--predictions", required=True, metavar="CSV", help="classification.csv written by segcls3d predict")
    p.add_argument("--labels", required=True, metavar="CSV", help="classification_labels.csv (0/1/empty)")
    p.add_argument("--pred-masks", metavar="DIR", help="folder of predicted masks <case>.nii.gz (needs --gt-masks)")
    p.add_argument("--gt-masks", metavar="DIR", help="folder of reference masks <case>.nii.gz")
    p.add_argument("--classes", metavar="JSON", help="class -> label ids {\"classes\": {...}} "
                                                     "(default: classes.json next to --predictions)")
    p.add_argument("--json", metavar="FILE", help="write the full result as JSON")
    p.add_argument("--plot", metavar="FILE.png", help="write ROC curves as PNG")
    p.add_argument("--reliability-plot", metavar="FILE.png",
                   help="write reliability diagrams (calibration per class, with bin counts) as PNG")
    p.add_argument("--calibration-bins", type=_positive_int, default=10, metavar="N",
                   help="equal-width bins of the expected calibration error and reliability diagram (default 10)")
    p.add_argument("--errors", metavar="FILE.md",
                   help="with masks: write the location-aware error analysis (missed findings, false-positive "
                        "components with size and position, per-label counts) as markdown")
    p.add_argument("--html", metavar="INDEX",
                   help="write the page INDEX (e.g. preds/index.html of `segcls3d predict --overlays`) listing every "
                        "case by probability with its overlay (INDEX's folder/overlays/<case>.png), truth and "
                        "TP/FP/TN/FN at the Youden operating point")
    p.add_argument("--bootstrap", type=_non_negative_int, default=1000, metavar="N",
                   help="bootstrap resamples for 95%% CIs (default 1000; 0 = no CIs)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--rsna", action="store_true",
                   help="also compute the RSNA 2022 cervical spine weighted log loss (C1..C7, patient_overall)")
    p.add_argument("--score", choices=("summarizer", "head"), default="summarizer",
                   help="probability columns used by --rsna (default summarizer)")
    p.add_argument("--saliency", metavar="DIR",
                   help="with --gt-masks: also per-class IoU/Dice and mIoU of the maps of `segcls3d saliency` "
                        "(DIR/<class>/<case>.nii.gz), thresholded as weak masks are, and their PxAP (pixel "
                        "average precision, image- and dataset-level, over the cases whose reference has the class)")
    p.add_argument("--saliency-thresholds", metavar="JSON",
                   help="cam_thresholds.json of `segcls3d pseudolabel cam` (per-class threshold, cut-off); "
                        "default: Otsu on each map")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # segcls3d.evaluate loads pandas and scikit-learn: imported here so that `segcls3d --help` stays fast
    from segcls3d.evaluate import (
        evaluate_predictions,
        evaluate_rsna,
        format_error_report,
        format_table,
        plot_reliability_result,
        plot_roc_result,
    )
    from segcls3d.evaluate.inputs import load_class_label_ids
    from segcls3d.evaluate.overlap_summary import overlap_summaries
    from segcls3d.evaluate.saliency_pxap import saliency_pxap_for_predictions
    from segcls3d.predict.evaluated_page import write_evaluated_page

    if (args.pred_masks is None) != (args.gt_masks is None):
        raise InputDataError("--pred-masks and --gt-masks must be given together")
    if args.saliency and args.gt_masks is None:
        raise InputDataError("--saliency needs --gt-masks (maps are compared with the reference masks)")
    if args.errors and args.pred_masks is None:
        raise InputDataError("--errors needs --pred-masks and --gt-masks (errors are located on the masks)")

    def show(message, category, filename, lineno, file=None, line=None):
        logger.warning("%s", message)

    with warnings.catch_warnings():
        warnings.simplefilter("always", UserWarning)
        warnings.showwarning = show
        class_ids = load_class_label_ids(args.classes) if args.classes and args.pred_masks else None
        result = evaluate_predictions(args.predictions, args.labels, pred_masks=args.pred_masks,
                                      gt_masks=args.gt_masks, class_label_ids=class_ids,
                                      n_bootstrap=args.bootstrap, seed=args.seed,
                                      calibration_bins=args.calibration_bins)
        if args.rsna:
            result = result.with_rsna(evaluate_rsna(args.predictions, args.labels, score=args.score))
    overlaps = overlap_summaries(result, args.predictions, args.labels, args.saliency, args.gt_masks, args.classes,
                                 args.saliency_thresholds)
    pxap = saliency_pxap_for_predictions(args.predictions, args.saliency, args.gt_masks, args.classes) \
        if args.saliency else {}
    result = result.with_map_metrics({k: s.to_dict() for k, s in overlaps.items()},
                                     {k: r.to_dict() for k, r in pxap.items()})
    print(format_table(result))
    if args.json:
        logger.info("wrote %s", write_json_atomic(args.json, result.to_dict()))
    if args.plot:
        logger.info("wrote %s", plot_roc_result(result, args.plot))
    if args.reliability_plot:
        logger.info("wrote %s", plot_reliability_result(result, args.reliability_plot))
    if args.errors:
        logger.info("wrote %s", write_text_atomic(args.errors, format_error_report(result.location or {})))
    if args.html:
        logger.info("wrote %s", write_evaluated_page(args.html, args.predictions, args.labels, result, args.classes))
    return 0
