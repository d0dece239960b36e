"""Network weights inside a summarizer JSON file: a state dict as base64-encoded ``.npz`` bytes.

Numpy's ``.npz`` (read with ``allow_pickle=False``) keeps the file free of pickled code; float32
values round-trip exactly. A summarizer is then one small, self-contained JSON file.
"""
from __future__ import annotations

import base64
import io
from typing import Any, Mapping

import numpy as np

WEIGHTS_FORMAT = "npz-base64"


def encode_state_dict(state_dict: Mapping[str, Any]) -> dict:
    """``module.state_dict()`` -> ``{"format": "npz-base64", "data": str, "n_parameters": int}``."""
    arrays = {name: tensor.detach().cpu().numpy() for name, tensor in state_dict.items()}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    n_parameters = int(sum(a.size for a in arrays.values() if np.issubdtype(a.dtype, np.floating)))
    return {"format": WEIGHTS_FORMAT, "n_parameters": n_parameters,
            "data": base64.b64encode(buffer.getvalue()).decode("ascii")}


def decode_state_dict(encoded: Mapping[str, Any]) -> dict:
    """Inverse of :func:`encode_state_dict`: a dict of torch tensors.

    Raises:
        ValueError: unknown format or corrupt data.
    """
    import torch

    if not isinstance(encoded, Mapping) or encoded.get("format") != WEIGHTS_FORMAT:
        raise ValueError(f"weights must be {{'format': '{WEIGHTS_FORMAT}', 'data': ...}}")
    try:
        raw = base64.b64decode(encoded["data"], validate=True)
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            return {name: torch.from_numpy(np.array(npz[name])) for name in npz.files}
    except (KeyError, ValueError, OSError) as exc:
        raise ValueError(f"corrupt weights: {exc}") from None
