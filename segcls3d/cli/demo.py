"""`segcls3d demo`: the whole pipeline on synthetic data, seg-for-class vs classification."""
from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "demo", help="synthetic data -> nnU-Net -> seg-for-class vs classification, side by side",
        description="Generates the paper's synthetic task, plans/preprocesses it with nnU-Net, trains "
                    "nnUNetTrainerSegCls and the nnUNetTrainerCls baseline, predicts the test set with "
                    "`segcls3d predict` and evaluates both. Uses the GPU when there is one.")
    p.add_argument("--quick", action="store_true", help="tiny volumes and schedule (< 10 min on a 2-core CPU)")
    p.add_argument("--work-dir", default="segcls3d_demo", help="folder for data, models and results")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda")
    p.add_argument("--multitask", action="store_true", help="also train nnUNetTrainerMultitask")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from segcls3d.demo import DemoSettings, run_demo

    trainers = ("SegCls", "Cls", "Multitask") if args.multitask else ("SegCls", "Cls")
    settings = DemoSettings(Path(args.work_dir), quick=args.quick, device=args.device, trainers=trainers,
                            seed=args.seed)
    outcome = run_demo(settings)
    print(outcome["table"])
    print(f"\nROC plot: {outcome['roc_plot']}\nfull report: {Path(args.work_dir) / 'demo_results.md'}")
    return 0
