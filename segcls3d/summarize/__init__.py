"""Summarizing functions g: per-class probability maps -> image-level probability, label and lesion statistics."""
from segcls3d.summarize.base import (
    ClassSummary,
    Summarizer,
    load_summarizer,
    register_summarizer,
    save_summarizer,
    summarizer_from_dict,
    summarizer_kinds,
)
from segcls3d.summarize.class_maps import class_probability_maps, label_mask_for_class
from segcls3d.summarize.geometry import ImageGeometry, geometry_from_properties, lesion_statistics, voxel_volume_mm3
from segcls3d.summarize.rule_based import RuleBasedSummarizer
from segcls3d.summarize.scores import (
    PROBABILITY_SCORES,
    SCORES,
    max_score,
    paper_score,
    soft_volume_score,
    topk_mean_score,
)
from segcls3d.summarize.table import (
    CLASSIFICATION_CSV,
    format_centroid,
    head_columns,
    head_row,
    parse_centroid,
    read_classification_csv,
    summary_row,
    write_classification_csv,
)

__all__ = [
    "ClassSummary",
    "Summarizer",
    "load_summarizer",
    "register_summarizer",
    "save_summarizer",
    "summarizer_from_dict",
    "summarizer_kinds",
    "class_probability_maps",
    "label_mask_for_class",
    "ImageGeometry",
    "geometry_from_properties",
    "lesion_statistics",
    "voxel_volume_mm3",
    "RuleBasedSummarizer",
    "PROBABILITY_SCORES",
    "SCORES",
    "max_score",
    "paper_score",
    "soft_volume_score",
    "topk_mean_score",
    "CLASSIFICATION_CSV",
    "format_centroid",
    "head_columns",
    "head_row",
    "parse_centroid",
    "read_classification_csv",
    "summary_row",
    "write_classification_csv",
]
import segcls3d.summarize.trained  # noqa: E402,F401  registers the trained summarizer kinds
