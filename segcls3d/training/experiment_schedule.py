"""Epochs x iterations of the experiment suite's ``_exp`` trainers (no torch import: read by ``--dry-run``)."""
from __future__ import annotations

EXP_EPOCHS = 20
EXP_ITERATIONS = 40
EXP_VAL_ITERATIONS = 2
