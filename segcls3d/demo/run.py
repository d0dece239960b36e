"""The demo pipeline: every step is the real tool a user would run."""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from segcls3d.demo.comparison import comparison_plot, comparison_table
from segcls3d.evaluate import EvaluationResult, evaluate_predictions, format_table
from segcls3d.io import write_json_atomic, write_text_atomic
from segcls3d.labels import CaseLabels
from segcls3d.model.loading import load_model
from segcls3d.pipeline import NnUNetPaths, model_folder, plan_and_preprocess, train
from segcls3d.plans import write_preset_plans
from segcls3d.predict.evaluated_page import write_evaluated_page
from segcls3d.predict.run import predict_folder
from segcls3d.summarize import RuleBasedSummarizer
from segcls3d.synth import SynthConfig, generate_dataset

logger = logging.getLogger(__name__)


@dataclass
class DemoSettings:
    """What the demo builds and trains. ``quick`` = tiny volumes and schedule for a 2-core CPU."""

    work_dir: Path
    quick: bool = True
    device: str = "auto"
    dataset_id: int = 990
    trainers: tuple[str, ...] = ("SegCls", "Cls")
    seed: int = 0
    synth_overrides: dict = field(default_factory=dict)

    @property
    def dataset_name(self) -> str:
        return f"Dataset{self.dataset_id:03d}_SegClsDemo"

    @property
    def schedule(self) -> str:
        return "_demo" if self.quick else "_5epochs"

    @property
    def preset(self) -> str:
        return "cpu_tiny" if self.quick else "cpu_small"

    def synth_config(self) -> SynthConfig:
        base = dict(dim=3, shape=(32, 32, 32), n_train=80, n_test=40, target_size=4.0, n_objects=12,
                    distractor_kinds=1, noise=10.0) if self.quick else \
            dict(dim=3, shape=(48, 48, 48), n_train=200, n_test=100, target_size=3.0)
        base.update(self.synth_overrides)
        return SynthConfig(seed=self.seed, dataset_name=self.dataset_name, **base)


def _cpu_friendly_env(device: str) -> None:
    """On small CPU machines nnU-Net's default worker counts cost more in start-up than they save."""
    if device == "cpu":
        os.environ.setdefault("nnUNet_def_n_proc", str(min(os.cpu_count() or 1, 4)))
        os.environ.setdefault("nnUNet_n_proc_DA", "0")


def run_demo(settings: DemoSettings) -> dict:
    """synth -> plan/preprocess -> plans preset -> train each trainer -> predict test set -> evaluate.

    Returns ``{"table", "results" (model -> EvaluationResult), "roc_plot", "seconds"}``.
    """
    started = time.time()
    work = Path(settings.work_dir).resolve()
    paths = NnUNetPaths.under(work)
    paths.apply()
    device = settings.device if settings.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    _cpu_friendly_env(device)
    raw = paths.raw / settings.dataset_name
    logger.info("1/5 synthetic dataset -> %s", raw)
    generate_dataset(settings.synth_config(), raw)
    if not (paths.preprocessed / settings.dataset_name / "nnUNetPlans.json").is_file():
        logger.info("2/5 nnU-Net plan and preprocess")
        plan_and_preprocess(settings.dataset_id, ("3d_fullres",), num_processes=1)
    plans = "nnUNetPlans"
    if device == "cpu" or settings.quick:
        plans = write_preset_plans(settings.dataset_name, settings.preset).stem
    labels = CaseLabels.from_raw_dataset(raw)
    results: dict[str, EvaluationResult] = {}
    tables = []
    for short in settings.trainers:
        trainer = f"nnUNetTrainer{short}{settings.schedule}"
        folder = model_folder(paths.results, settings.dataset_name, trainer, plans, "3d_fullres")
        if not (folder / "fold_0" / "checkpoint_final.pth").is_file():
            logger.info("3/5 training %s on %s (log: %s)", trainer, device, work / f"train_{short}.log")
            train(settings.dataset_id, "3d_fullres", 0, trainer, plans, device, log_file=work / f"train_{short}.log")
        logger.info("4/5 predicting the test set with %s", trainer)
        out = work / "predictions" / short
        model = load_model(folder, [0], device=device)
        report = predict_folder(model, raw / "imagesTs", out, RuleBasedSummarizer(), overwrite=True, overlays=True)
        logger.info("5/5 evaluating %s", short)
        result = evaluate_predictions(report.csv_path, labels, pred_masks=out if model.kind != "classifier" else None,
                                      gt_masks=raw / "labelsTs" if model.kind != "classifier" else None,
                                      class_label_ids={c.name: list(c.label_ids) for c in model.classes})
        write_json_atomic(out / "metrics.json", result.to_dict())
        write_evaluated_page(out / "index.html", report.csv_path, labels, result)  # overlays + truth, FP/FN
        results[short] = result
        tables.append(f"### {short}\n\n```\n{format_table(result)}\n```")
    class_name = labels.classes[0]
    table = comparison_table({_title(k): v for k, v in results.items()}, class_name)
    plot = comparison_plot({_title(k): v for k, v in results.items()}, class_name, work / "roc.png")
    title = f"# segcls3d demo ({'quick' if settings.quick else 'full'}, {device})"
    summary = f"{title}\n\n{table}\n\n" + "\n\n".join(tables)
    write_text_atomic(work / "demo_results.md", summary + "\n")
    logger.info("demo finished in %.0f s; table: %s, ROC: %s", time.time() - started, work / "demo_results.md", plot)
    return {"table": table, "results": results, "roc_plot": str(plot), "seconds": time.time() - started}


def _title(short: str) -> str:
    return {"SegCls": "seg-for-class (nnUNetTrainerSegCls, rule-based g)",
            "Cls": "classification (nnUNetTrainerCls)",
            "Multitask": "multitask (nnUNetTrainerMultitask, head)"}.get(short, short)
