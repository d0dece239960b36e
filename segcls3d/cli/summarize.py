"""`segcls3d summarize fit`: fit a trained summarizing function (and/or a calibration) on out-of-fold predictions."""
from __future__ import annotations

import argparse

from segcls3d.cli.predict import add_rule_arguments
from segcls3d.defaults import DEFAULT_TAU
from segcls3d.errors import SegCls3dError

METHODS = ("rule_based", "threshold", "fc", "gap_fc", "cnn", "embedding_simple", "embedding_complex")
CALIBRATIONS = ("isotonic", "platt")


def learning_rate(text: str):
    """argparse type: ``auto`` or a positive float."""
    if text == "auto":
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"learning rate must be > 0, got {text}")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value}")
    return value


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "summarize", help="fit trained summarizing functions (probability maps -> image-level labels)",
        description="Trained summarizing functions g (Hooper et al. 2023, Sec. 3.2). `summarize fit` fits one on "
                    "the out-of-fold validation probabilities of a cross-validated model (train each fold with "
                    "--npz) and writes a summarizer JSON file for `segcls3d predict --summarizer FILE`.")
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    fit = sub.add_parser(
        "fit", help="fit a summarizer on out-of-fold predictions",
        description="Methods: threshold (t, tau tuned), fc, gap_fc, cnn (on the class probability maps pooled to a "
                    "grid), embedding_simple, embedding_complex (on decoder features of the frozen network; need "
                    "nnUNet_preprocessed). The learning rate is chosen from 1e-6..1e-2 by AUROC on an inner "
                    "validation split of the out-of-fold cases (--lr auto), then the head is refitted on all. "
                    "--calibrate maps each class's score to a calibrated probability (fitted on out-of-fold scores "
                    "of a summarizer refitted without each fold; Brier/ECE before and after are measured on held-out "
                    "folds); --method rule_based --calibrate fits only that map for the rule-based g.")
    fit.add_argument("-m", "--model", required=True, help="model folder <trainer>__<plans>__<configuration>")
    fit.add_argument("-l", "--labels", default=None,
                     help="classification_labels.csv (default: the copy in the model folder)")
    fit.add_argument("--method", required=True, choices=METHODS,
                     help="summarizing function to fit (rule_based: none, only --calibrate)")
    fit.add_argument("--calibrate", choices=CALIBRATIONS, default=None,
                     help="also fit a score -> probability map per class: isotonic or platt (sigmoid)")
    fit.add_argument("-o", "--output", required=True, help="summarizer JSON file to write")
    fit.add_argument("-f", "--folds", nargs="+", default=None, help="folds whose validation cases are used "
                     "(default: every fold_<n>)")
    fit.add_argument("--lr", type=learning_rate, default="auto", help="learning rate, or auto (default)")
    fit.add_argument("--epochs", type=positive_int, default=100, help="training epochs (default 100)")
    fit.add_argument("--batch-size", type=positive_int, default=16, help="mini-batch size (default 16)")
    fit.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    fit.add_argument("--grid", type=positive_int, nargs="+", default=None,
                     help="pooled input size per axis (fc/cnn default 16^3 or 32^2; embeddings default 8)")
    fit.add_argument("--layer", choices=("shallow", "deep"), default="deep",
                     help="embedding layer: shallow = last decoder stage, deep = two stages earlier (default)")
    fit.add_argument("--device", default="cpu",
                     help="device for the embedding methods' feature extraction (default cpu; heads train on cpu)")
    fit.add_argument("-chk", "--checkpoint", default="checkpoint_final.pth", help="checkpoint for embeddings")
    fit.add_argument("--preprocessed", default=None,
                     help="preprocessed data folder (default $nnUNet_preprocessed/<dataset>/<data_identifier>)")
    rule = fit.add_argument_group("rule-based g", "the rule that --method rule_based calibrates (as in predict)")
    add_rule_arguments(rule, tau_default=DEFAULT_TAU)
    fit.set_defaults(func=run_fit)


def run_fit(args: argparse.Namespace) -> int:
    # the summarize package loads scipy, pandas and scikit-learn: imported here so `segcls3d --help` stays fast
    from segcls3d.summarize import RuleBasedSummarizer, save_summarizer
    from segcls3d.summarize.trained import FitOptions, calibration_rows, fit_summarizer, summarize_fit

    try:
        rule = RuleBasedSummarizer(threshold=args.threshold, tau=args.tau, tau_unit=args.tau_unit, score=args.score,
                                   top_k=args.top_k)
        options = FitOptions(folds=args.folds, lr=args.lr, epochs=args.epochs, batch_size=args.batch_size,
                             seed=args.seed, grid=args.grid, layer=args.layer, device=args.device,
                             checkpoint=args.checkpoint, preprocessed=args.preprocessed, calibrate=args.calibrate,
                             rule=rule)
        summarizer = fit_summarizer(args.model, args.labels, args.method, options)
    except ValueError as exc:
        raise SegCls3dError(str(exc)) from None
    path = save_summarizer(args.output, summarizer)
    what = f"{args.method} summarizer" + (f" with {args.calibrate} calibration" if args.calibrate else "")
    print(f"{what} fitted on {summarizer.training['n_cases']} out-of-fold cases -> {path}")
    rows = summarize_fit(summarizer)
    if rows:
        print(f"{'class':<20} {'lr':>7} {'val AUROC':>10} {'fit AUROC':>10}")
        for name, lr, val, fit_auc in rows:
            print(f"{name:<20} {lr:>7} {val:>10} {fit_auc:>10}")
    if args.calibrate:
        print(f"held-out calibration ({summarizer.training['calibration']['splits']}):")
        print(f"{'class':<20} {'Brier raw':>10} {'Brier cal':>10} {'ECE raw':>10} {'ECE cal':>10}")
        for name, brier_raw, brier_cal, ece_raw, ece_cal in calibration_rows(summarizer):
            print(f"{name:<20} {brier_raw:>10} {brier_cal:>10} {ece_raw:>10} {ece_cal:>10}")
    return 0
