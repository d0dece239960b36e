"""`segcls3d experiment`: the paper's synthetic experiments and summarizer comparison, resumable."""
from __future__ import annotations

import argparse
from pathlib import Path

EXPERIMENT_HELP = ("a|training_size b|prevalence_low c|prevalence_high d|size_bias e|target_size f|spurious "
                   "g|location_bias h|summarizers i|semisup (label fractions, semi-supervised; Fig. 7), or all")


def id_range(text: str) -> tuple[int, int]:
    """argparse type: ``FIRST-LAST`` nnU-Net dataset ids."""
    try:
        first, last = (int(part) for part in text.split("-"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected FIRST-LAST, e.g. 500-999, got {text!r}") from None
    if not 1 <= first <= last:
        raise argparse.ArgumentTypeError(f"invalid id range {text!r}")
    return first, last


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "experiment", help="run the paper's synthetic experiments (Fig. 5a-g, 6, 7) with our trainers",
        description="For each swept value and seed: generate the synthetic dataset, plan/preprocess it with "
                    "nnU-Net, train SegCls, Cls and Multitask with nnUNetv2_train (same plans, same schedule), "
                    "predict the test set, evaluate, and write OUT/NAME/<dim>d/<value>/seed<k>/<method>.json. "
                    "Finished runs are skipped, failed ones are recorded and retried next time. "
                    "`segcls3d report --runs OUT` turns the results into tables and plots.")
    p.add_argument("names", nargs="+", metavar="NAME", help=EXPERIMENT_HELP)
    p.add_argument("--config", choices=("cpu", "full"), default="cpu",
                   help="cpu: small sizes for a 2-core CPU (default); full: the paper's sizes, for a GPU")
    p.add_argument("--dim", type=int, nargs="+", choices=(2, 3), default=[2, 3], help="2 and/or 3 (default both)")
    p.add_argument("--seeds", type=int, nargs="+", default=None, help="seeds (default: the configuration's, 0 1 2)")
    p.add_argument("--out", default="work_dirs/experiments", help="output folder (default work_dirs/experiments)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")
    p.add_argument("--id-range", type=id_range, default=(500, 999), metavar="FIRST-LAST",
                   help="nnU-Net dataset ids to allocate from (default 500-999)")
    p.add_argument("--values", type=float, nargs="+", default=None,
                   help="override the swept values (one experiment only), e.g. for a quick check")
    p.add_argument("--schedule", default=None, choices=("_smoke", "_exp", "_demo", "stock"),
                   help="override the training schedule (trainer suffix; stock = nnU-Net's 1000 epochs; _smoke is a "
                        "test-only schedule: add tests/trainers to nnUNet_extTrainer)")
    p.add_argument("--dry-run", action="store_true", help="print the runs and the estimated time, run nothing")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # loaded here, not at the top: `segcls3d --help` imports every command module (see cli/main.py)
    from segcls3d.experiments.plan import (
        REGISTRY_FILENAME,
        DatasetRegistry,
        build_plan,
        describe_plan,
        get_suite,
        with_overrides,
    )

    out = Path(args.out)
    registry = DatasetRegistry(out / REGISTRY_FILENAME, *args.id_range)
    if args.dry_run:
        registry.path = None  # read, never written
    schedule = "" if args.schedule == "stock" else args.schedule
    single = args.names[0] if len(args.names) == 1 and args.names[0] != "all" else None
    suite = with_overrides(get_suite(args.config), schedule, single, args.values)
    plan = build_plan(suite, args.names, args.dim, args.seeds, out, registry=registry)
    print(describe_plan(plan, list_jobs=args.dry_run))
    if args.dry_run:
        return 0
    from segcls3d.experiments.run import run_plan  # torch and nnU-Net: only when something runs

    summary = run_plan(plan, device=args.device)
    print(f"\n{summary.n_runs} runs: {summary.n_already_done} done before, {summary.n_written} written now, "
          f"{len(summary.failures)} failed; {summary.seconds / 60:.1f} min")
    for path, error in summary.failures:
        print(f"FAILED {path}: {error}")
    print(f"report: segcls3d report --runs {out} -o docs/experiments")
    return 1 if summary.failures else 0
