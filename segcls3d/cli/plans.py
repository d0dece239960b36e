"""`segcls3d plans`: write a new plans identifier from nnU-Net's plans and a preset."""
from __future__ import annotations

import argparse
import json

from segcls3d.errors import SegCls3dError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "plans", help="apply a plans preset (writes a new plans identifier for -p)",
        description="Apply a preset (plans/<name>.json or a path) to nnU-Net's generated plans of a dataset and "
                    "write <source>_<preset>.json next to them. Use it with nnUNetv2_train ... -p <name>; the "
                    "preprocessed data is reused.")
    p.add_argument("-d", "--dataset", help="dataset name or id in nnUNet_preprocessed")
    p.add_argument("--preset", default="cpu_tiny", help="preset name or JSON path (default: cpu_tiny)")
    p.add_argument("-pl", "--source-plans", default="nnUNetPlans", help="plans identifier to start from")
    p.add_argument("-o", "--plans-name", default=None, help="new plans identifier (default: <source>_<preset>)")
    p.add_argument("--list", action="store_true", help="list the shipped presets and exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # numpy and nnU-Net's planner: imported here so that `segcls3d --help` stays fast (see cli.main)
    from segcls3d.plans.presets import describe, load_preset, preset_names, write_preset_plans

    if args.list:
        for name in preset_names():
            print(f"{name}: {load_preset(name).get('description', '')}")
        return 0
    if not args.dataset:
        raise SegCls3dError("-d/--dataset is required")
    path = write_preset_plans(args.dataset, args.preset, args.source_plans, args.plans_name)
    print(f"wrote {path}")
    print(describe(json.loads(path.read_text())))
    return 0
