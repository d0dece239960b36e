"""results.md of the GLAM benchmark: per (config, dim, arm) means over seeds, GLAM against Cls, one row per run."""
from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from segcls3d.experiments.report.gather import mean_ci
from segcls3d.experiments.report.tables import fmt_mean_ci, markdown_table
from segcls3d.io import write_text_atomic

ARM_ORDER = ("glam", "cls_gradcam", "segcls_glam_masks", "segcls_supervised")
CONFIG_ORDER = ("full", "cpu", "full-smoke", "cpu-smoke")
TRAINERS = Path(__file__).resolve().parent / "trainers" / "nnUNetTrainerGLAMBench.py"


@lru_cache(maxsize=1)
def bench_schedules() -> dict[str, tuple]:
    """``{suffix: (epochs, iterations per epoch, validation batches)}`` of the benchmark's GLAM trainers, read from
    trainers/nnUNetTrainerGLAMBench.py (the one place they are defined)."""
    spec = importlib.util.spec_from_file_location("glam_bench_trainers", TRAINERS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    prefix = "nnUNetTrainerGLAM_"
    return {"_" + name[len(prefix):]: cls.schedule for name, cls in vars(module).items() if name.startswith(prefix)}


def config_of(r: dict) -> str:
    """The record's configuration; records written before configurations existed are ``full`` (or its smoke)."""
    s = r["settings"]
    return s.get("config") or ("full-smoke" if s.get("schedule") == "_glamsmoke" else "full")


def _config_rank(config: str) -> tuple[int, str]:
    return (CONFIG_ORDER.index(config) if config in CONFIG_ORDER else len(CONFIG_ORDER), config)


def _memory_mb(r: dict) -> float:
    """Peak CUDA memory torch allocated where trained on a GPU, else the training loop's resident memory."""
    return r.get("cuda_max_allocated_mb", r["training_rss_mb"])


def _cell(records: list[dict], value) -> str:
    return fmt_mean_ci(mean_ci(value(r) for r in records))


def _schedule_text(name: str) -> str:
    schedules = bench_schedules()
    if name not in schedules:
        return f"`{name}`"
    epochs, iterations, val = schedules[name]
    return f"`{name}` ({epochs} epochs x {iterations} iterations, {val} validation batches)"


def _plans_text(preset: str | None) -> str:
    return f"preset `{preset}`" if preset else "nnU-Net's own plans"


def _config_line(config: str, records: list[dict]) -> str:
    """What a configuration ran: image size, target radius and objects per dimension, plans, schedule."""
    data = {}
    for r in sorted(records, key=lambda r: r["settings"]["dim"]):
        synth = r["settings"]["data"]["synth"]
        data.setdefault(r["settings"]["dim"], set()).add(
            f"{' x '.join(str(n) for n in synth['shape'])} (target radius {synth['target_size']:g}, "
            f"{synth['n_objects']} objects)")
    sizes = "; ".join(f"{dim}D {' / '.join(sorted(texts))}" for dim, texts in data.items())
    plans = " / ".join(sorted({_plans_text(r["settings"]["preset"]) for r in records}))
    schedules = " / ".join(sorted({_schedule_text(r["settings"]["schedule"]) for r in records}))
    return f"* `{config}`: {sizes}; {plans}; schedule {schedules}."


def write_report(records: dict[str, dict], out: Path) -> Path:
    by_config: dict[str, list[dict]] = {}
    by_cell: dict[tuple[str, int, str], list[dict]] = {}
    for r in records.values():
        config = config_of(r)
        by_config.setdefault(config, []).append(r)
        by_cell.setdefault((config, r["settings"]["dim"], r["settings"]["arm"]), []).append(r)
    cells = sorted(by_cell.items(), key=lambda kv: (_config_rank(kv[0][0]), kv[0][1], ARM_ORDER.index(kv[0][2])))
    rows = []
    for (config, dim, arm), rs in cells:
        rows.append([config, f"{dim}D", arm, str(len(rs)), _cell(rs, lambda r: r["auroc"]["value"]),
                     _cell(rs, lambda r: r["dice_positive"]), _cell(rs, lambda r: r["pxap_image"]),
                     _cell(rs, lambda r: r["pxap_dataset"]), _cell(rs, lambda r: r["train_s"]),
                     _cell(rs, _memory_mb), _cell(rs, lambda r: r["infer_s_per_case"])])
    ratios = []
    for config, dim in sorted({(c, d) for c, d, _ in by_cell}, key=lambda cd: (_config_rank(cd[0]), cd[1])):
        glam = {r["settings"]["seed"]: r for r in by_cell.get((config, dim, "glam"), [])}
        cls = {r["settings"]["seed"]: r for r in by_cell.get((config, dim, "cls_gradcam"), [])}
        seeds = sorted(set(glam) & set(cls))
        if seeds:
            ratios.append([config, f"{dim}D", str(len(seeds)),
                           fmt_mean_ci(mean_ci(glam[s]["train_s"] / cls[s]["train_s"] for s in seeds)),
                           fmt_mean_ci(mean_ci(_memory_mb(glam[s]) / _memory_mb(cls[s]) for s in seeds))])
    masks = [[config_of(r), f"{r['settings']['dim']}D", str(r["settings"]["seed"]),
              ", ".join(f"{n} {a}" for a, n in sorted(r["glam_training_masks"]["actions"].items())),
              "n/a" if r["glam_training_masks"]["pseudo_mask_dice"] is None
              else f"{r['glam_training_masks']['pseudo_mask_dice']:.3f}"]
             for r in sorted(records.values(), key=lambda r: (_config_rank(config_of(r)), r["settings"]["dim"],
                                                              r["settings"]["seed"]))
             if r["settings"]["arm"] == "segcls_glam_masks"]
    configs = [_config_line(c, by_config[c]) for c in sorted(by_config, key=_config_rank)]
    lines = [
        "# GLAM: masks from image-level labels alone", "",
        "Configurations (`run_glam.py --config`; the same schedule for every arm of a configuration):", "",
        *configs, "",
        "Test cases of each seed's dataset; mean [95% t-interval] over seeds. AUROC: GLAM and Cls their image "
        "probability, SegCls the rule-based g. Dice: mean over the positive test cases (GLAM: map > 0.5; Cls: "
        "Grad-CAM binarised with Otsu; SegCls: its mask). PxAP over the positive test cases (image-level mean, "
        "dataset-level). Memory: peak CUDA memory allocated by torch when trained on a GPU, else the peak "
        "resident memory of the training loop above what the process held when it started (MB).", "",
        markdown_table(["config", "dim", "arm", "seeds", "AUROC", "Dice (positives)", "PxAP image", "PxAP dataset",
                        "train (s)", "memory (MB)", "inference (s/case)"], rows), "",
        "## GLAM against Cls at the same resolution", "",
        markdown_table(["config", "dim", "seeds", "train time GLAM / Cls", "memory GLAM / Cls"], ratios), "",
        "## GLAM's training masks (segcls_glam_masks)", "",
        markdown_table(["config", "dim", "seed", "cases", "Dice of the pseudo masks (positives kept)"], masks), ""]
    return write_text_atomic(Path(out) / "results.md", "\n".join(lines))
