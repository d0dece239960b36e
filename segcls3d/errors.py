"""Errors that reach the user as a one-line message (no traceback)."""
from __future__ import annotations


class SegCls3dError(Exception):
    """Base class for user-facing errors: bad input, missing files, wrong configuration."""


class LabelFileError(SegCls3dError):
    """classification_labels.csv (or dataset.json class block) is malformed or inconsistent."""


class InputDataError(SegCls3dError):
    """An input image, mask or folder cannot be read or has the wrong geometry/format."""


class ModelFolderError(SegCls3dError):
    """A trained model folder is missing files or does not match what was asked."""
