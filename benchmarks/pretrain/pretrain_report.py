"""results.md of the pretraining benchmark: a summary per (dim, trainer, fraction, init), the verdict on the
paper's claim, and one row per run. Imported by run_pretrain.py (its folder is on sys.path as a script)."""
from __future__ import annotations

from pathlib import Path

from segcls3d.experiments.report.gather import mean_ci
from segcls3d.experiments.report.tables import fmt_mean_ci
from segcls3d.io import write_text_atomic

INIT_ORDER = ("random", "dino", "cass")


def _group(records: dict[str, dict]) -> dict[tuple, list[dict]]:
    groups: dict[tuple, list[dict]] = {}
    for record in records.values():
        s = record["settings"]
        groups.setdefault((s["dim"], s["arm"], s["fraction"], s["init"]), []).append(record)
    return groups


def _seconds(value) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def _auroc(rs: list[dict]):
    return mean_ci(r["test_auroc"]["value"] for r in rs)


def verdict(groups: dict[tuple, list[dict]], dim: int, arm: str) -> str | None:
    """One sentence: does a pretrained encoder at 10% of the labels reach random init at 100% (mean test AUROC)?"""
    full = groups.get((dim, arm, 1.0, "random"))
    if not full:
        return None
    reference = _auroc(full)
    parts = []
    for init in ("dino", "cass"):
        few = groups.get((dim, arm, 0.1, init))
        if not few:
            continue
        stat = _auroc(few)
        gap = stat.mean - reference.mean
        if stat.lower is None or reference.lower is None:
            judgement = "one seed: no interval"
        elif stat.lower > reference.upper:
            judgement = "higher, 95% intervals apart: the claim holds"
        elif stat.upper < reference.lower:
            judgement = "lower, 95% intervals apart: the claim fails"
        else:
            judgement = "95% intervals overlap: " + ("the claim holds on the mean" if gap >= 0 else
                                                     "no better than random init at 100%")
        parts.append(f"{init.upper()} at 10% has AUROC {stat.mean:.3f} vs {reference.mean:.3f} for random init at "
                     f"100% ({gap:+.3f}, {stat.n} vs {reference.n} seeds; {judgement})")
    return f"- {dim}D {arm}: " + "; ".join(parts) + "." if parts else None


def write_report(records: dict[str, dict], out: Path) -> Path:
    groups = _group(records)
    lines = ["# Self-supervised pretraining (DINO, CASS) and label-efficient fine-tuning", "",
             "S4MI's claim: an encoder pretrained without labels and fine-tuned on 10% of the labels matches or "
             "beats supervised training on 100%; CASS beats DINO. Here: the experiment suite's default CPU task, "
             "`cpu_tiny` plans; pretraining on all training images (no labels); fine-tuning with "
             "`nnUNetv2_train -pretrained_weights` and the `_exp` schedule (20 x 40 iterations) on 10% "
             "(class-stratified) or 100% of the 80 training cases; 40 test images. AUROC: Cls = its head, SegCls = "
             "the rule-based g. Mean [95% t-interval] over seeds.", "", "## Verdict", ""]
    verdicts = [v for dim in sorted({k[0] for k in groups}) for arm in ("Cls", "SegCls")
                if (v := verdict(groups, dim, arm))]
    lines += verdicts or ["- not enough runs yet (needs random init at 100% and a pretrained arm at 10%)."]
    lines += ["", "## Summary", "", "| dim | trainer | labels | init | runs | test AUROC | test Dice (positives) | "
              "pretraining (s) | fine-tuning (s) |", "|---|---|---|---|---|---|---|---|---|"]
    for (dim, arm, fraction, init) in sorted(groups, key=lambda k: (k[0], k[1], k[2], INIT_ORDER.index(k[3]))):
        rs = groups[(dim, arm, fraction, init)]
        pretrain = mean_ci(r["pretrain_s"] for r in rs)
        lines.append(f"| {dim}D | {arm} | {fraction:.0%} | {init} | {len(rs)} | {fmt_mean_ci(_auroc(rs))} | "
                     f"{fmt_mean_ci(mean_ci(r['test_dice_positive'] for r in rs))} | "
                     f"{_seconds(pretrain.mean)} | {_seconds(mean_ci(r['train_s'] for r in rs).mean)} |")
    lines += ["", "## Runs", "", "| dim | seed | labels (cases) | init | trainer | fold | test AUROC [95% CI] | "
              "test Dice | pretraining (s) | fine-tuning (s) |", "|---|---|---|---|---|---|---|---|---|---|"]
    for key in sorted(records):
        r, s = records[key], records[key]["settings"]
        auroc = r["test_auroc"]
        ci = f" [{auroc['ci_lower']:.3f}, {auroc['ci_upper']:.3f}]" if auroc.get("ci_lower") is not None else ""
        dice = r["test_dice_positive"]
        lines.append(f"| {s['dim']}D | {s['seed']} | {s['fraction']:.0%} ({r['n_labelled']}) | {s['init']} | "
                     f"{s['trainer']} | {r['fold']} | {auroc['value']:.3f}{ci} | "
                     f"{'n/a' if dice is None else f'{dice:.3f}'} | "
                     f"{_seconds(r['pretrain_s'])} | {_seconds(r['train_s'])} |")
    return write_text_atomic(out / "results.md", "\n".join(lines) + "\n")
