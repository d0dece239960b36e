"""Draw one overlay PNG: windowed slice, optional saliency heat map, mask contours, legend, title.

matplotlib's Agg canvas on a ``Figure`` (no pyplot state, no display needed); the PNG is written
atomically and always has :data:`OVERLAY_SIZE_PX` pixels, whatever the slice's shape.
"""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Mapping, Optional, Union

import numpy as np

from segcls3d.io import atomic_path
from segcls3d.predict.contours import Colour

PathLike = Union[str, Path]
OVERLAY_SIZE_PX = (640, 720)  # width, height
_DPI = 100
HEAT_ALPHA = 0.45  # opacity of the hottest saliency pixel
_TITLE_WIDTH = 78  # characters per title line


def draw_overlay(path: PathLike, image: np.ndarray, contours: Optional[np.ndarray], title: str,
                 legend: Mapping[str, Colour], heat: Optional[np.ndarray] = None, aspect: float = 1.0) -> Path:
    """Write the overlay PNG to ``path`` and return it.

    Args:
        path: the PNG file.
        image: 2D slice windowed to [0, 1] (grey).
        contours: RGBA layer of the same shape (:func:`~segcls3d.predict.contours.contour_layer`), or None.
        title: text above the image (wrapped).
        legend: entries (class name -> colour) below the image; empty for none.
        heat: 2D map in [0, 1] of the same shape drawn as a heat map (``inferno``, opacity grows with
            the value), or None.
        aspect: pixel height / pixel width (row spacing / column spacing).

    Raises:
        ValueError: ``image`` is not 2D, or ``contours``/``heat`` have another shape.
    """
    import matplotlib  # slow to import and only needed for pictures
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"image must be a 2D slice, got shape {image.shape}")
    for name, layer in (("contours", contours), ("heat", heat)):
        if layer is not None and np.shape(layer)[:2] != image.shape:
            raise ValueError(f"{name} shape {np.shape(layer)[:2]} differs from the image {image.shape}")
    width, height = OVERLAY_SIZE_PX
    fig = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.03, 0.13, 0.94, 0.72))
    ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0, aspect=aspect, interpolation="nearest")
    handles = [Patch(facecolor="none", edgecolor=colour, linewidth=2, label=name) for name, colour in legend.items()]
    if heat is not None:
        heat = np.clip(np.nan_to_num(np.asarray(heat, dtype=np.float32)), 0.0, 1.0)
        ax.imshow(heat, cmap="inferno", vmin=0.0, vmax=1.0, alpha=HEAT_ALPHA * heat, aspect=aspect,
                  interpolation="bilinear")
        handles.append(Patch(color=matplotlib.colormaps["inferno"](0.8), label="saliency"))
    if contours is not None:
        ax.imshow(contours, aspect=aspect, interpolation="nearest")
    ax.set_axis_off()
    fig.suptitle("\n".join(textwrap.wrap(title, _TITLE_WIDTH)), fontsize=9, y=0.985, va="top")
    if handles:
        fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 4), fontsize=8, frameon=False)
    with atomic_path(path) as tmp:
        fig.savefig(str(tmp), format="png", dpi=_DPI)
    return Path(path)
