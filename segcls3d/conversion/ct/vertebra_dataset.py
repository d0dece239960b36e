"""Whole-dataset flow for vertebra-level datasets: convert (or merge shards), then finalize.

Used by ``dataset_conversion/Dataset601_RSNACervicalSpine.py`` and
``Dataset602_VertebraLevelLabels.py``; the scripts only parse arguments and build the cases.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Mapping, Optional

from segcls3d.conversion.ct.vertebra_cases import (
    ConversionOptions,
    VertebraCase,
    VertebraeSource,
    check_totalseg_needed,
    convert_vertebra_case,
)
from segcls3d.conversion.dataset_writer import finalize_dataset
from segcls3d.conversion.runner import CaseResult, check_settings, merge_records, run_cases, write_summary
from segcls3d.conversion.splits import write_splits
from segcls3d.errors import InputDataError

logger = logging.getLogger(__name__)


def convert_vertebra_dataset(
    cases: Mapping[str, VertebraCase],
    out_dir: Path,
    *,
    source: VertebraeSource,
    options: ConversionOptions,
    dataset_name: Optional[str] = None,
    description: Optional[str] = None,
    num_processes: int = 1,
    shard: Optional[tuple[int, int]] = None,
    merge: bool = False,
) -> list[CaseResult]:
    """Convert all cases (or one shard), or merge the shards; finalize unless only a shard ran.

    Finalizing writes dataset.json, classification_labels.csv and splits_final.json (grouped by
    ``VertebraCase.group``).

    Raises:
        ModelFolderError: TotalSegmentator is needed (cases without vertebra masks) but it or its
            weights are missing; raised before any case is converted.
        InputDataError: ``merge`` while some cases have no record yet, no case was converted, or the
            folder was converted before with other target options.
    """
    out_dir = Path(out_dir)
    if merge:
        results = merge_records(out_dir)
        check_settings(out_dir, _settings(options))
        recorded = {r.case_id for r in results}
        pending = sorted(set(cases) - recorded)
        if pending:
            raise InputDataError(
                f"{out_dir}: {len(pending)} case(s) have no conversion record yet (e.g. {pending[:3]}); "
                "are some shards still running or did they die? Run them again (finished cases are skipped)"
            )
        results = [r for r in results if r.case_id in cases]
        write_summary(out_dir, results)
    else:
        ids = sorted(cases)
        mine = ids if shard is None else [c for k, c in enumerate(ids) if k % shard[1] == shard[0]]
        check_totalseg_needed([cases[c] for c in mine], source, options)
        check_settings(out_dir, _settings(options))
        convert_one = functools.partial(
            convert_vertebra_case, cases=dict(cases), out_dir=out_dir, source=source, options=options
        )
        results = run_cases(
            sorted(cases),
            convert_one,
            out_dir,
            num_processes=num_processes,
            shard=shard,
            desc=dataset_name or "converting",
        )
        if shard is not None:
            logger.info("shard %d/%d finished; after all shards run again with --merge", *shard)
            return results
    finalize_vertebra_dataset(out_dir, results, cases, options, dataset_name, description)
    return results


def _settings(options: ConversionOptions) -> dict:
    """The options that decide what a converted case looks like."""
    spec = options.spec
    return {
        "levels": list(spec.levels),
        "overall_name": spec.overall_name,
        "per_vertebra": spec.per_vertebra,
        "bbox_slices": options.bbox_slices,
        "paper_preprocessing": options.paper_preprocessing,
        "paper_size": list(options.paper_size) if options.paper_preprocessing else None,
    }


def finalize_vertebra_dataset(
    out_dir: Path,
    results,
    cases: Mapping[str, VertebraCase],
    options: ConversionOptions,
    dataset_name: Optional[str] = None,
    description: Optional[str] = None,
) -> None:
    """dataset.json + classification_labels.csv + grouped splits_final.json for the done cases."""
    spec = options.spec
    finalize_dataset(
        out_dir,
        results,
        channel_names=options.channel_names,
        labels=spec.labels,
        classes=spec.classes,
        class_block=spec.class_block,
        dataset_name=dataset_name,
        description=description,
    )
    train = [r.case_id for r in results if r.status == "done" and r.split == "train"]
    groups = {c: (cases[c].group or c) if c in cases else c for c in train}
    write_splits(out_dir, train, groups, dataset_name=dataset_name or Path(out_dir).name)
