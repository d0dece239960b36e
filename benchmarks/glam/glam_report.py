"""results.md of the GLAM benchmark: per (dim, arm) means over seeds, GLAM against Cls, one row per run."""
from __future__ import annotations

from pathlib import Path

from segcls3d.experiments.report.gather import mean_ci
from segcls3d.experiments.report.tables import fmt_mean_ci, markdown_table
from segcls3d.io import write_text_atomic

ARM_ORDER = ("glam", "cls_gradcam", "segcls_glam_masks", "segcls_supervised")


def _memory_mb(r: dict) -> float:
    """Peak CUDA memory torch allocated where trained on a GPU, else the training loop's resident memory."""
    return r.get("cuda_max_allocated_mb", r["training_rss_mb"])


def _cell(records: list[dict], value) -> str:
    return fmt_mean_ci(mean_ci(value(r) for r in records))


def write_report(records: dict[str, dict], out: Path) -> Path:
    by_cell: dict[tuple[int, str], list[dict]] = {}
    for r in records.values():
        by_cell.setdefault((r["settings"]["dim"], r["settings"]["arm"]), []).append(r)
    rows = []
    for (dim, arm), rs in sorted(by_cell.items(), key=lambda kv: (kv[0][0], ARM_ORDER.index(kv[0][1]))):
        rows.append([f"{dim}D", arm, str(len(rs)), _cell(rs, lambda r: r["auroc"]["value"]),
                     _cell(rs, lambda r: r["dice_positive"]), _cell(rs, lambda r: r["pxap_image"]),
                     _cell(rs, lambda r: r["pxap_dataset"]), _cell(rs, lambda r: r["train_s"]),
                     _cell(rs, _memory_mb), _cell(rs, lambda r: r["infer_s_per_case"])])
    ratios = []
    for dim in sorted({d for d, _ in by_cell}):
        glam = {r["settings"]["seed"]: r for r in by_cell.get((dim, "glam"), [])}
        cls = {r["settings"]["seed"]: r for r in by_cell.get((dim, "cls_gradcam"), [])}
        seeds = sorted(set(glam) & set(cls))
        if seeds:
            ratios.append([f"{dim}D", str(len(seeds)),
                           fmt_mean_ci(mean_ci(glam[s]["train_s"] / cls[s]["train_s"] for s in seeds)),
                           fmt_mean_ci(mean_ci(_memory_mb(glam[s]) / _memory_mb(cls[s]) for s in seeds))])
    masks = [[f"{r['settings']['dim']}D", str(r["settings"]["seed"]),
              ", ".join(f"{n} {a}" for a, n in sorted(r["glam_training_masks"]["actions"].items())),
              "n/a" if r["glam_training_masks"]["pseudo_mask_dice"] is None
              else f"{r['glam_training_masks']['pseudo_mask_dice']:.3f}"]
             for r in sorted(records.values(), key=lambda r: (r["settings"]["dim"], r["settings"]["seed"]))
             if r["settings"]["arm"] == "segcls_glam_masks"]
    first = next(iter(records.values()))["settings"] if records else {}
    lines = [
        "# GLAM: masks from image-level labels alone", "",
        f"Schedule `{first.get('schedule')}` for every arm, plans `{first.get('preset') or 'nnUNetPlans'}`. Test cases "
        "of each seed's dataset; mean [95% t-interval] over seeds. AUROC: GLAM and Cls their image probability, "
        "SegCls the rule-based g. Dice: mean over the positive test cases (GLAM: map > 0.5; Cls: Grad-CAM "
        "binarised with Otsu; SegCls: its mask). PxAP over the positive test cases (image-level mean, "
        "dataset-level). Memory: peak CUDA memory allocated by torch when trained on a GPU, else the peak "
        "resident memory of the training loop above what the process held when it started (MB).", "",
        markdown_table(["dim", "arm", "seeds", "AUROC", "Dice (positives)", "PxAP image", "PxAP dataset",
                        "train (s)", "memory (MB)", "inference (s/case)"], rows), "",
        "## GLAM against Cls at the same resolution", "",
        markdown_table(["dim", "seeds", "train time GLAM / Cls", "memory GLAM / Cls"], ratios), "",
        "## GLAM's training masks (segcls_glam_masks)", "",
        markdown_table(["dim", "seed", "cases", "Dice of the pseudo masks (positives kept)"], masks), ""]
    return write_text_atomic(Path(out) / "results.md", "\n".join(lines))
