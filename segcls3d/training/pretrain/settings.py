"""What a pretraining run is: method, schedule and the methods' hyperparameters (stored in its checkpoint).

DINO's defaults are the reference's (Caron et al. 2021): student temperature 0.1, teacher temperature
warmed up linearly from 0.04 to 0.07 over the first 30% of the steps, teacher momentum from 0.996 to 1
on a cosine, center momentum 0.9, a 65536-way projection head whose last layer is frozen during the
first epoch, gradients clipped at 3, AdamW with weight decay 0.04. CASS follows S4MI (Adam, lr 3.6e-4,
weight decay 1e-5; loss 2 - 2 cos between the CNN's and the transformer's embeddings).

Example:
    >>> s = PretrainSettings(method="dino", epochs=2, iterations=5)
    >>> s.total_steps, s.lr
    (10, 0.0005)
    >>> PretrainSettings.from_dict(s.to_dict()) == s
    True
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Optional

from segcls3d.errors import SegCls3dError

METHODS = ("dino", "cass")
#: MONAI ViT sizes for CASS: (hidden size, layers, heads); mlp_dim is 4 x hidden size
TRANSFORMER_SIZES = {"tiny": (96, 4, 3), "small": (384, 12, 6), "base": (768, 12, 12)}
_DEFAULT_LR = {"dino": 5e-4, "cass": 3.6e-4}
_DEFAULT_WEIGHT_DECAY = {"dino": 0.04, "cass": 1e-5}


@dataclass(frozen=True)
class PretrainSettings:
    """One pretraining run; ``None`` learning rate / weight decay / batch size take the method's or plan's."""

    method: str
    epochs: int = 100
    iterations: int = 250  # per epoch
    batch_size: Optional[int] = None  # None: the plan's batch size
    learning_rate: Optional[float] = None
    weight_decay: Optional[float] = None
    warmup_fraction: float = 0.1  # linear learning-rate warmup, then cosine decay to 1e-3 x
    gradient_clip: float = 3.0
    seed: int = 12345
    # DINO
    global_views: int = 2
    local_views: int = 6
    local_scale: float = 0.5  # edge length of a local view relative to the patch size
    out_dim: int = 65536
    hidden_dim: int = 2048
    bottleneck_dim: int = 256
    student_temperature: float = 0.1
    teacher_temperature: tuple[float, float] = (0.04, 0.07)
    teacher_temperature_warmup: float = 0.3  # fraction of the steps
    momentum: tuple[float, float] = (0.996, 1.0)
    center_momentum: float = 0.9
    freeze_last_layer_epochs: int = 1
    # CASS
    transformer_size: str = "small"
    transformer_patch: int = 16
    embedding_dim: int = 512

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise SegCls3dError(f"unknown pretraining method '{self.method}' (choose from {', '.join(METHODS)})")
        if self.transformer_size not in TRANSFORMER_SIZES:
            raise SegCls3dError(f"unknown transformer size '{self.transformer_size}' "
                                f"(choose from {', '.join(TRANSFORMER_SIZES)})")
        for name in ("epochs", "iterations", "global_views"):
            if getattr(self, name) < 1:
                raise SegCls3dError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.local_views < 0:
            raise SegCls3dError(f"local views must be 0 or more, got {self.local_views}")
        if self.batch_size is not None and self.batch_size < 1:
            raise SegCls3dError(f"batch size must be at least 1, got {self.batch_size}")
        if not 0 < self.local_scale <= 1:
            raise SegCls3dError(f"local scale must be in (0, 1], got {self.local_scale}")

    @property
    def total_steps(self) -> int:
        return self.epochs * self.iterations

    @property
    def lr(self) -> float:
        return self.learning_rate if self.learning_rate is not None else _DEFAULT_LR[self.method]

    @property
    def wd(self) -> float:
        return self.weight_decay if self.weight_decay is not None else _DEFAULT_WEIGHT_DECAY[self.method]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PretrainSettings":
        known = {f.name for f in fields(cls)}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
        return cls(**values)

    def differences(self, other: "PretrainSettings") -> list[str]:
        """Names of the settings that differ from ``other``."""
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(other, f.name)]
