"""Command-line plumbing shared by the 2D converter scripts in ``dataset_conversion/``.

Built on :mod:`segcls3d.conversion.script_support` (``-o/--out``, ``-np``, ``--shard i/n``,
``--merge``, ``-v``; user errors -> one line, exit code 2) plus ``--channels``. A run converts the
cases and then writes dataset.json, classification_labels.csv and the patient-grouped
splits_final.json; a ``--shard`` run only converts, and ``--merge`` (after all shards) only writes
those files from the per-case records. Exit code 1 when some cases were skipped or failed (they
are listed on stderr and in ``conversion_log/summary.txt``; the dataset is still written).

Example::

    def main(argv=None) -> int:
        parser = argparse.ArgumentParser(); add_common_arguments(parser, "Dataset611_CANDIDPTX")
        args = parser.parse_args(argv)
        return run_converter(args, collect_cases(args), spec, "Dataset611_CANDIDPTX")
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Mapping, Optional, Sequence

from segcls3d.conversion.images2d.convert import Case2D, run_2d
from segcls3d.conversion.images2d.finish import Dataset2DSpec, finish_2d
from segcls3d.conversion.images2d.reading import CHANNEL_MODES
from segcls3d.conversion.runner import merge_records, summarize_results
from segcls3d.conversion.script_support import add_output_argument, add_runner_arguments, exit_code, output_dir
from segcls3d.conversion.splits import write_split_list, write_splits


def add_common_arguments(parser: argparse.ArgumentParser, dataset_name: str, default_channels: str = "auto") -> None:
    """Add the runner options, ``-o/--out`` and ``--channels`` to a converter's parser (and say where splits go)."""
    add_output_argument(parser, dataset_name)
    note = ("splits_final.json is written into the output folder and, when nnUNet_preprocessed is set, also into "
            "$nnUNet_preprocessed/<output folder name>/ (outside -o; that is where nnU-Net reads it).")
    parser.epilog = f"{parser.epilog}\n\n{note}" if parser.epilog else note
    add_runner_arguments(parser)
    parser.add_argument("--channels", choices=CHANNEL_MODES, default=default_channels,
                        help="auto: rgb when any image of the dataset has real colour, else gray (decided once, before "
                             "converting); gray: colour -> luminance; rgb: three channel files "
                             f"(default {default_channels})")


def run_converter(args: argparse.Namespace, cases: Sequence[Case2D], spec: Dataset2DSpec, dataset_name: str, *,
                  default_spacing: tuple[float, float] = (1.0, 1.0),
                  splits: Optional[Sequence[Mapping[str, Sequence[str]]]] = None) -> int:
    """Convert (or merge the shards' records), then write dataset.json, labels CSV and splits.

    ``splits``: the dataset's own partition (``[{"train", "val"}, ...]``, e.g. official folds); cases
    that were not converted are dropped from it. Default: patient-grouped random 5-fold splits.

    Returns:
        0 when every case was converted, 1 when some were skipped or failed.

    Raises:
        InputDataError: no output folder, no case converted, or mixed channel counts.
    """
    out_dir = output_dir(args.out, dataset_name)
    if args.merge:
        known = {c.case_id for c in cases}
        results = [r for r in merge_records(out_dir) if r.case_id in known]
    else:
        results = run_2d(cases, out_dir, channels=args.channels, default_spacing=default_spacing,
                         num_processes=args.num_processes, shard=args.shard)
    if any(r.status != "done" for r in results):
        print(summarize_results(results), end="", file=sys.stderr)
    done = [r for r in results if r.status == "done"]
    if args.shard is not None:
        print(f"shard {args.shard[0]}/{args.shard[1]}: {len(done)} of {len(results)} case(s) converted; "
              "run with --merge when all shards are done")
        return exit_code(results)
    finish_2d(out_dir, results, spec)
    preprocessed_root = os.environ.get("nnUNet_preprocessed", "")  # "" = raw folder only
    if splits is None:
        groups = {c.case_id: c.group for c in cases if c.group is not None}
        write_splits(out_dir, [r.case_id for r in done if r.split == "train"], groups,
                     preprocessed_root=preprocessed_root)
    else:
        converted = {r.case_id for r in done if r.split == "train"}
        write_split_list(out_dir, [{part: [c for c in fold[part] if c in converted] for part in ("train", "val")}
                                   for fold in splits], preprocessed_root=preprocessed_root)
    print(f"{out_dir}: {len(done)} of {len(results)} case(s) converted")
    return exit_code(results)
