"""results.md of the CheXseg benchmark: per dimension and arm, means over seeds with 95% t-intervals; then every run."""
from __future__ import annotations

from pathlib import Path

from segcls3d.experiments.report.gather import mean_ci
from segcls3d.experiments.report.tables import fmt_mean_ci
from segcls3d.io import write_text_atomic

ARM_TEXT = {
    "cls": "Cls: nnUNetTrainerCls, all class labels (no masks)",
    "saliency": "saliency alone: the classifier's Grad-CAM, thresholded as the weak masks",
    "expert_only": "expert-only SegCls (p = 1): the expert masks only",
    "weak_only": "weak-only (p = 0): the weak masks only",
    "chexseg_p05": "CheXseg, p = 0.5",
    "chexseg_p09": "CheXseg, p = 0.9",
    "distillation": "distillation: pseudolabel soft from the expert-only model (tau 10)",
}
METRICS = (("miou_positive", "mIoU (positives)"), ("miou", "mIoU (all)"), ("dice_positive", "Dice (positives)"),
           ("auroc", "AUROC"))


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _classifier(settings: dict) -> str:
    """The run's ``--classifier`` (records of the default carry none)."""
    return settings.get("classifier", "schedule")


def write_report(records: dict[str, dict], out: Path) -> Path:
    """Write ``out/results.md`` from the run records."""
    cells: dict[tuple[int, str, str], list[dict]] = {}
    for record in records.values():
        if record.get("status") == "done":
            s = record["settings"]
            cells.setdefault((s["dim"], _classifier(s), s["arm"]), []).append(record)
    any_record = next(iter(records.values()), {"settings": {}})
    s = any_record["settings"]
    lines = ["# CheXseg: few expert masks, all class labels", "",
             f"Synthetic data of the experiment suite's CPU configuration ({s.get('n_train', '?')} training + "
             f"{s.get('n_val', '?')} validation cases, prevalence 0.5), `cpu_tiny` plans, schedule "
             f"`{s.get('schedule', '?')}`; {s.get('expert_fraction', '?')} of the training cases keep their masks "
             "(the expert cases), every case keeps its class label. Segmentation arms start from the classifier's "
             "encoder. Test set: the suite's test cases. mIoU and Dice are means over cases (all: cases with "
             "foreground in the prediction or the reference; positives: image-level positive cases), averaged over "
             "classes; AUROC of the rule-based g (Cls: its own probability). Mean [95% t-interval] over seeds.", "",
             "Classifier: `schedule` = Cls trained with the same schedule as the other arms; `long` = Cls trained "
             "10x longer (200 x 40 iterations), whose Grad-CAM maps and encoder feed every arm of that row group.", "",
             "Arms: " + "; ".join(f"`{k}` = {v}" for k, v in ARM_TEXT.items()) + ".", "",
             "| dim | classifier | arm | seeds | " + " | ".join(label for _, label in METRICS) + " |",
             "|---|---|---|---|" + "---|" * len(METRICS)]
    for dim, classifier in sorted({(d, c) for d, c, _ in cells}, key=lambda k: (k[0], k[1] != "schedule")):
        for arm in ARM_TEXT:
            rs = cells.get((dim, classifier, arm), [])
            if rs:
                lines.append(f"| {dim}D | {classifier} | {arm} | {len(rs)} | "
                             + " | ".join(fmt_mean_ci(mean_ci(r.get(m) for r in rs)) for m, _ in METRICS) + " |")
    labels = " | ".join(label for _, label in METRICS)
    lines += ["", "## Runs", "", f"| dim | classifier | seed | arm | trainer | expert cases | {labels} | train (s) |",
              "|---|---|---|---|---|---|" + "---|" * len(METRICS) + "---|"]
    for key in sorted(records):
        r = records[key]
        if r.get("status") != "done":
            continue
        s = r["settings"]
        lines.append(f"| {s['dim']}D | {_classifier(s)} | {s['seed']} | {s['arm']} | `{s['trainer']}` | "
                     f"{r.get('n_expert', '?')} | "
                     + " | ".join(_fmt(r.get(m)) for m, _ in METRICS) + f" | {r.get('train_s', '-')} |")
    return write_text_atomic(Path(out) / "results.md", "\n".join(lines) + "\n")
