"""nnUNetTrainerCheXseg: SegCls training on expert and weak masks, each sample expert with probability p.

CheXseg (Gadgil et al., Sec. 4.1) varies "the probability of selecting an expert annotation" per
sample; p = 0.9 was best. The dataset is written by ``segcls3d pseudolabel cam``: its dataset.json
block ``segcls3d.cam.expert_cases`` says which training cases carry expert masks, every other case a
weak one. nnU-Net's augmentation and loss apply to both kinds alike.

p, without writing code:

* a variant: ``nnUNetTrainerCheXseg`` (0.9), ``_p05`` (0.5), ``_p00`` (weak masks only), ``_p10``
  (expert masks only: SegCls on the expert cases), with schedules ``_5epochs``, ``_demo``, ``_exp``;
* or the plans: ``"chexseg_expert_probability": 0.7`` in the configuration of a copy of the plans
  (``-p`` that copy); it overrides the class's value.

Validation uses the expert cases only: the weak cases of the validation fold train with the others.
The encoder starts from a classifier's with stock ``-pretrained_weights`` on a file written by
``segcls3d transfer --encoder-from CLS/fold_0/checkpoint_final.pth -tr nnUNetTrainerCheXseg ...``.
"""
from __future__ import annotations

from typing import Optional

import torch

from segcls3d.errors import SegCls3dError
from segcls3d.training.chexseg.loader import CheXsegDataLoader
from segcls3d.training.dataloaders import build_augmenters
from segcls3d.training.label_aware_loader import LabelAwareDataLoader
from segcls3d.training.segcls import nnUNetTrainerSegCls

PLANS_KEY = "chexseg_expert_probability"


class nnUNetTrainerCheXseg(nnUNetTrainerSegCls):
    """Each training sample comes from the expert cases with probability ``expert_probability``, else the weak ones."""

    expert_probability: float = 0.9
    loader_class = CheXsegDataLoader

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict,
                 device: torch.device = torch.device("cuda")):
        super().__init__(plans, configuration, fold, dataset_json, device)
        planned = self.configuration_manager.configuration.get(PLANS_KEY)
        if planned is not None:
            self.expert_probability = float(planned)
        self._expert: Optional[set[str]] = None

    def expert_cases(self) -> set[str]:
        """The training cases with expert masks, from dataset.json (``segcls3d.cam.expert_cases``).

        Raises:
            SegCls3dError: dataset.json does not record them (not written by ``segcls3d pseudolabel cam``).
        """
        if self._expert is None:
            cam = (self.dataset_json.get("segcls3d") or {}).get("cam") or {}
            if "expert_cases" not in cam:
                raise SegCls3dError(f"dataset {self.plans_manager.dataset_name}: dataset.json has no "
                                    "segcls3d.cam.expert_cases; nnUNetTrainerCheXseg trains on a dataset written by "
                                    "`segcls3d pseudolabel cam`")
            self._expert = {str(c) for c in cam["expert_cases"]}
        return self._expert

    def on_train_start(self):
        try:
            expert = self.expert_cases()
        except SegCls3dError as exc:  # a user error: one clear line from nnUNetv2_train
            raise SystemExit(f"segcls3d: {exc}") from None
        if not 0.0 <= self.expert_probability <= 1.0:
            raise SystemExit(f"segcls3d: expert probability p must be in [0, 1], got {self.expert_probability}")
        tr_keys, _ = self.do_split()
        n_expert = sum(str(k) in expert for k in tr_keys)
        self.print_to_log_file(f"segcls3d CheXseg: p = {self.expert_probability:g}; {n_expert} expert and "
                               f"{len(tr_keys) - n_expert} weak training case(s)", also_print_to_console=True)
        super().on_train_start()

    def do_split(self):
        """nnU-Net's split, validated on expert masks only: weak cases of the validation fold train too."""
        tr_keys, val_keys = super().do_split()
        if self.fold == "all":
            return tr_keys, val_keys
        expert = self.expert_cases()
        val_expert = [k for k in val_keys if str(k) in expert]
        if not val_expert:
            return tr_keys, val_keys  # nothing to validate on otherwise; the warning of SegCls names the fold
        return list(tr_keys) + [k for k in val_keys if str(k) not in expert], val_expert

    def get_dataloaders(self):
        tr_keys, val_keys = self.do_split()
        train = {**self.sampling_options(tr_keys, self.positive_fraction), "expert_cases": self.expert_cases(),
                 "expert_probability": self.expert_probability}
        return build_augmenters(self, self.loader_class, val_loader_class=LabelAwareDataLoader, train_options=train,
                                val_options=self.sampling_options(val_keys, self.validation_positive_fraction))
