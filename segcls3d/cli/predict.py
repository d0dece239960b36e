"""`segcls3d predict`: nnU-Net prediction + summarizing function -> masks and classification.csv."""
from __future__ import annotations

import argparse

from segcls3d.defaults import DEFAULT_TAU


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "predict", help="predict masks and image-level classes for a folder of images",
        description="Runs nnU-Net's predictor on every case of -i (files <case>_0000.nii.gz, or one file per case "
                    "for single-channel models) and writes OUT/<case>.nii.gz masks, OUT/classification.csv and "
                    "OUT/classes.json. Works with models of plain nnUNetTrainer too (rule-based g).")
    p.add_argument("-i", "--input", required=True, help="folder with input images")
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("-m", "--model", required=True, help="trained model folder <trainer>__<plans>__<configuration>")
    p.add_argument("-f", "--folds", nargs="+", default=None, help="folds to ensemble (default: all available)")
    p.add_argument("-chk", "--checkpoint", default="checkpoint_final.pth", help="checkpoint file name")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (default: auto)")
    p.add_argument("--threshold", type=float, default=0.5, help="t: voxel probability threshold (default 0.5)")
    p.add_argument("--tau", type=float, default=None,
                   help=f"tau: minimum positive size (default {DEFAULT_TAU:g} voxels)")
    p.add_argument("--tau-unit", choices=("voxels", "mm3"), default="voxels", help="unit of --tau")
    p.add_argument("--score", default="paper", help="case score: paper | max | topk_mean | soft_volume")
    p.add_argument("--top-k", type=int, default=10, help="k for --score topk_mean")
    p.add_argument("--summarizer", default=None, help="summarizer JSON file (overrides --threshold/--tau/--score)")
    p.add_argument("--save-probabilities", action="store_true", help="also write OUT/<case>.npz probabilities")
    p.add_argument("--prev-stage-predictions", default=None, help="folder of previous-stage masks (cascade)")
    p.add_argument("--disable-tta", action="store_true", help="no mirroring test-time augmentation")
    p.add_argument("--step-size", type=float, default=0.5, help="sliding-window step size (default 0.5)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from segcls3d.model.loading import load_model
    from segcls3d.predict.run import predict_folder
    from segcls3d.summarize import RuleBasedSummarizer, load_summarizer

    folds = [f if f == "all" else int(f) for f in args.folds] if args.folds else None
    if args.summarizer:
        summarizer = load_summarizer(args.summarizer)
    else:
        summarizer = RuleBasedSummarizer(threshold=args.threshold, tau=DEFAULT_TAU if args.tau is None else args.tau,
                                         tau_unit=args.tau_unit, score=args.score, top_k=args.top_k)
    model = load_model(args.model, folds, args.checkpoint, args.device, not args.disable_tta, args.step_size)
    report = predict_folder(model, args.input, args.output, summarizer, args.save_probabilities,
                            args.prev_stage_predictions)
    print(f"predicted {len(report.rows)} case(s) -> {report.csv_path}")
    if report.failures:
        print(f"{len(report.failures)} case(s) failed:", file=sys.stderr)
        for case, reason in sorted(report.failures.items()):
            print(f"  {case}: {reason}", file=sys.stderr)
        return 1
    return 0
