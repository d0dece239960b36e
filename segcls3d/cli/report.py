"""`segcls3d report`: experiment metrics JSONs -> markdown tables with CIs and PNG plots."""
from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "report", help="tables (mean and 95%% CI over seeds) and plots of `segcls3d experiment` results",
        description="Gathers every OUT/<experiment>/<dim>d/<value>/seed<k>/<method>.json written by "
                    "`segcls3d experiment` into results.md (balanced accuracy, AUROC and, for the rare-subtype "
                    "experiment, small-target recall: mean and 95%% t-interval over seeds, per-run bootstrap "
                    "CIs, SegCls - Cls paired differences), one PNG per experiment and dimension, and summary.json.")
    p.add_argument("--runs", required=True, help="the --out folder of `segcls3d experiment`")
    p.add_argument("-o", "--output", default="docs/experiments", help="report folder (default docs/experiments)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from segcls3d.experiments.report import write_report  # here: `segcls3d --help` loads every command module

    out = write_report(args.runs, args.output)
    print(f"{out.n_records} run files ({out.n_failed} failed) -> {out.markdown}")
    for plot in out.plots:
        print(f"plot: {plot}")
    for path, reason in out.skipped:
        print(f"skipped {path}: {reason}")
    return 0
