"""Dataset converters: raw data -> nnU-Net raw datasets with classification_labels.csv.

Shared machinery: :mod:`segcls3d.conversion.runner` (resumable/parallel/sharded per-case loop)
and :mod:`segcls3d.conversion.dataset_writer` (case files, labels CSV, dataset.json).
"""
from segcls3d.conversion.runner import CaseResult, merge_records, parse_shard, run_cases

__all__ = ["CaseResult", "run_cases", "parse_shard", "merge_records"]
