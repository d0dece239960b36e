"""Image-level labels: class definitions from dataset.json and classification_labels.csv."""
from segcls3d.labels.case_labels import LABELS_FILENAME, CaseLabels, write_case_labels
from segcls3d.labels.classes import ClassDefinition, class_definitions, load_class_definitions

__all__ = [
    "ClassDefinition",
    "class_definitions",
    "load_class_definitions",
    "CaseLabels",
    "LABELS_FILENAME",
    "write_case_labels",
]
