"""progress.png of the classifier: losses and validation AUROC per epoch (nnU-Net's plot shows Dice)."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402

from segcls3d.io import atomic_path  # noqa: E402


def plot_classifier_progress(log: Mapping[str, Sequence], folder: Path) -> Path:
    """Write ``folder/progress.png`` from nnU-Net's log dict (``train_losses``, ``val_losses``, ``val_auroc``)."""
    n = min(len(log["train_losses"]), len(log["val_losses"]), len(log["val_auroc"]))
    epochs = list(range(n))
    fig, ax = plt.subplots(figsize=(10, 6))
    ax.plot(epochs, log["train_losses"][:n], color="b", label="loss_tr")
    ax.plot(epochs, log["val_losses"][:n], color="r", label="loss_val")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax2 = ax.twinx()
    ax2.plot(epochs, log["val_auroc"][:n], color="g", ls="dotted", label="val AUROC")
    ax2.plot(epochs, log.get("ema_val_auroc", [])[:n], color="g", label="val AUROC (mov. avg.)")
    ax2.set_ylabel("AUROC")
    ax2.set_ylim(0, 1)
    fig.legend(loc="upper right")
    fig.tight_layout()
    path = Path(folder) / "progress.png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp)
    plt.close(fig)
    return path
