"""Entry point of the `segcls3d` console script.

Each sub-command is a module in this package exposing ``add_parser(subparsers)``; the
module registers its parser and sets ``func`` to a callable taking the parsed namespace and
returning an exit code. Command modules import heavy libraries (torch, nnU-Net) lazily
inside their ``run`` so that ``segcls3d --help`` stays fast.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import Optional, Sequence

from segcls3d import __version__
from segcls3d.errors import SegCls3dError

COMMANDS: tuple[str, ...] = ("synth", "plans", "splits", "predict", "evaluate", "demo", "summarize", "pseudolabel",
                             "saliency", "pretrain", "transfer", "experiment", "report")

logger = logging.getLogger("segcls3d")


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with one sub-parser per available command module."""
    parser = argparse.ArgumentParser(
        prog="segcls3d",
        description="Segmentation-for-classification on nnU-Net v2.",
    )
    parser.add_argument("--version", action="version", version=f"segcls3d {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"segcls3d.cli.{name}")
        except ModuleNotFoundError as exc:  # a command not built yet in this checkout
            if exc.name == f"segcls3d.cli.{name}":
                continue
            raise
        module.add_parser(subparsers)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parse ``argv`` and run the command; user errors become a message and exit code 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except SegCls3dError as exc:
        print(f"segcls3d {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
