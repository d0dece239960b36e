"""Helper of the CheXseg end-to-end test: a raw dataset in which only a few training cases keep their mask."""
from __future__ import annotations

import shutil
from pathlib import Path

from segcls3d.labels import CaseLabels


def expert_source(raw: Path, out: Path, n_positive: int, n_negative: int) -> tuple[Path, list[str]]:
    """Copy of ``raw`` (images hard-linked) where only ``n_positive`` positive and ``n_negative`` negative training
    cases keep their mask (the expert cases, returned); the others keep only their class label."""
    labels = CaseLabels.from_raw_dataset(raw)
    cases = sorted(p.name[:-len(".nii.gz")] for p in (raw / "labelsTr").glob("*.nii.gz"))
    positive = [c for c in cases if labels[c][0] == 1][:n_positive]
    negative = [c for c in cases if labels[c][0] == 0][:n_negative]
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("imagesTr", "imagesTs", "labelsTs"):
        shutil.copytree(raw / sub, out / sub, copy_function=lambda s, d: Path(d).hardlink_to(s), dirs_exist_ok=True)
    (out / "labelsTr").mkdir(exist_ok=True)
    for case in positive + negative:
        shutil.copyfile(raw / "labelsTr" / f"{case}.nii.gz", out / "labelsTr" / f"{case}.nii.gz")
    for name in ("dataset.json", "classification_labels.csv"):
        shutil.copyfile(raw / name, out / name)
    return out, sorted(positive + negative)
