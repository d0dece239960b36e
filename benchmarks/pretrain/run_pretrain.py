"""Self-supervised pretraining benchmark (S4MI): does DINO/CASS pretraining + 10% of the labels match 100%?

    .venv/bin/python benchmarks/pretrain/run_pretrain.py --dims 2 3 --seeds 0 1 2

For each dimension (one dataset each: the experiment suite's default CPU task, 80 training + 20 validation
cases, 40 test cases, prevalence 0.5, ``cpu_tiny`` plans, nnU-Net ids 970/971) and seed:

1. ``segcls3d pretrain`` (library call) of the plan's encoder with DINO and with CASS on all 100 training
   images, labels unused, ``--pretrain-epochs`` x ``--pretrain-iterations``; its wall time is recorded;
2. for each label fraction (10%: a class-stratified subset of the 80 training cases drawn with the seed,
   ``segcls3d.pseudolabels.label_subset``; 100%), initialisation (random; the DINO or CASS encoder put into
   the trainer's network by ``segcls3d transfer``'s ``write_initial_weights``) and trainer (Cls, SegCls):
   ``nnUNetv2_train ... -pretrained_weights INIT`` with the suite's ``_exp`` schedule (20 x 40 iterations);
3. on the 40 test images: AUROC (Cls: its head; SegCls: the rule-based g, t = 0.5, the suite's tau) with a
   1000-resample bootstrap CI, and the Dice of SegCls on the positive cases.

Each (init, seed) trains in its own nnU-Net results tree, so the 100% runs of different seeds do not share a
model folder. One JSON record per run in ``--out/records`` (resumable: finished runs are skipped; pretraining
resumes from its last epoch); ``results.md`` is rewritten after each run. ``--smoke`` runs the whole chain on
a tiny dataset with the tests' ``_smoke`` schedules (numbers meaningless).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import time
from pathlib import Path

from pretrain_report import write_report

from segcls3d.experiments.plan.datasets import dataset_for
from segcls3d.experiments.plan.suites import CPU_SUITE
from segcls3d.experiments.run import steps
from segcls3d.io.records import RecordFolder
from segcls3d.labels import CaseLabels
from segcls3d.model.encoder_weights import build_trainer_network, read_encoder_state, write_initial_weights
from segcls3d.model.heads import DEFAULT_POOLING
from segcls3d.pipeline import NnUNetPaths, model_folder, train
from segcls3d.pseudolabels.label_subset import labeled_subset, register_split
from segcls3d.summarize import RuleBasedSummarizer
from segcls3d.training.pretrain.run import pretrain
from segcls3d.training.pretrain.settings import PretrainSettings

ROOT = Path(__file__).resolve().parents[2]
TEST_TRAINERS = ROOT / "tests" / "trainers"
INITS = ("random", "dino", "cass")
TRAINERS = {"Cls": "nnUNetTrainerCls_exp", "SegCls": "nnUNetTrainerSegCls_exp"}
SMOKE_TRAINERS = {"Cls": "nnUNetTrainerCls_smoke", "SegCls": "nnUNetTrainerSegCls_smoke"}
FRACTIONS = (0.1, 1.0)
logger = logging.getLogger("pretrain_benchmark")


def prepare(dim: int, work: Path, smoke: bool) -> steps.PreparedDataset:
    """The suite's default dataset (80 + 20 training cases; smoke: 16 + 4, 8 test), planned, ``cpu_tiny`` plans."""
    spec = dataset_for(CPU_SUITE, CPU_SUITE.sweep("prevalence_low"), dim, 0.5, 0)
    spec = dataclasses.replace(spec, n_train=16, n_val=4, synth={**spec.synth, "n_test": 8}) if smoke \
        else dataclasses.replace(spec, n_train=80, n_val=20)
    dataset_id = 970 + dim - 2 + (2 if smoke else 0)
    name = f"Dataset{dataset_id}_Pretrain{dim}D{'Smoke' if smoke else ''}"
    return steps.prepare_dataset(spec, dataset_id, name, CPU_SUITE.preset, work / "prepared" / name)


def fold_for(prepared: steps.PreparedDataset, fraction: float, seed: int) -> tuple[int, int]:
    """nnU-Net fold training on ``fraction`` of the training cases (same validation cases); its size."""
    splits_file = Path(os.environ["nnUNet_preprocessed"]) / prepared.name / "splits_final.json"
    holdout = json.loads(splits_file.read_text())[0]
    labels = CaseLabels.from_raw_dataset(prepared.raw)
    train_ids = labeled_subset(holdout["train"], {c: labels[c][0] for c in holdout["train"]}, fraction, seed)
    return register_split(splits_file, train_ids, holdout["val"]), len(train_ids)


def pretrain_encoder(prepared: steps.PreparedDataset, method: str, seed: int, args) -> tuple[Path, float]:
    """DINO/CASS on every preprocessed training image (resumes); the encoder checkpoint and pretraining seconds."""
    settings = PretrainSettings(method=method, epochs=args.pretrain_epochs, iterations=args.pretrain_iterations,
                                seed=seed, out_dim=args.out_dim, local_views=args.local_views,
                                transformer_size=args.transformer_size)
    out = args.work / "pretrain" / prepared.name / f"{method}_seed{seed}"
    result = pretrain(Path(os.environ["nnUNet_preprocessed"]) / prepared.name, prepared.plans,
                      prepared.configuration, settings, out, device=args.device, progress=False)
    return result.checkpoint, result.seconds


def initial_weights(prepared: steps.PreparedDataset, trainer: str, encoder: Path, out: Path) -> Path:
    """What ``segcls3d transfer --encoder-from ENCODER -tr TRAINER`` writes (kept if there)."""
    if out.is_file():
        return out
    folder = Path(os.environ["nnUNet_preprocessed"]) / prepared.name
    network = build_trainer_network(trainer, json.loads((folder / f"{prepared.plans}.json").read_text()),
                                    prepared.configuration, json.loads((folder / "dataset.json").read_text()))
    return write_initial_weights(read_encoder_state(encoder), network, out)


def finetune_and_test(prepared: steps.PreparedDataset, trainer: str, fold: int, init: Path | None, results: Path,
                      dim: int, args) -> dict:
    """nnUNetv2_train (from ``init`` if given) into ``results``; test AUROC and Dice."""
    os.environ["nnUNet_results"] = str(results)
    folder = model_folder(results, prepared.name, trainer, prepared.plans, prepared.configuration)
    log = args.work / "logs" / results.name / f"{prepared.name}_{trainer}_fold{fold}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.time()
    if not (folder / f"fold_{fold}" / "checkpoint_final.pth").is_file():
        train(prepared.dataset_id, prepared.configuration, fold, trainer, prepared.plans, args.device,
              extra_args=("-pretrained_weights", str(init)) if init else (), log_file=log)
    seconds = time.time() - started
    target = float(CPU_SUITE.base[dim]["target_size"])
    tau = CPU_SUITE.rule_tau(dim, target)
    model = steps.load_for_prediction(folder, [fold], args.device, mirroring=False)
    evaluation = steps.predict_and_evaluate(model, prepared, RuleBasedSummarizer(0.5, tau, tau_unit="voxels"),
                                            args.work / "predictions" / results.name / f"{trainer}_fold{fold}")
    entry = evaluation.result.classes["target"]
    source = entry.sources["head" if model.kind == "classifier" else "summarizer"]
    masks = entry.masks
    return {"test_auroc": source.auroc.to_dict(), "train_s": round(seconds, 1),
            "test_dice_positive": None if masks is None else masks.dice_mean_gt_positive}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=ROOT / "work_dirs" / "pretrain", help="nnU-Net folders")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "pretrain" / "results")
    parser.add_argument("--dims", type=int, nargs="+", choices=(2, 3), default=[2, 3])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--fractions", type=float, nargs="+", default=list(FRACTIONS))
    parser.add_argument("--inits", nargs="+", choices=INITS, default=list(INITS))
    parser.add_argument("--trainers", nargs="+", choices=list(TRAINERS), default=list(TRAINERS))
    parser.add_argument("--pretrain-epochs", type=int, default=20)
    parser.add_argument("--pretrain-iterations", type=int, default=40)
    parser.add_argument("--out-dim", type=int, default=4096, help="DINO prototypes")
    parser.add_argument("--local-views", type=int, default=4, help="DINO local views")
    parser.add_argument("--transformer-size", default="tiny", choices=("tiny", "small", "base"), help="CASS ViT")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--smoke", action="store_true", help="tiny data, _smoke schedules, 1 x 2 pretraining steps")
    args = parser.parse_args(argv)
    if args.smoke:
        args.pretrain_epochs, args.pretrain_iterations, args.out_dim, args.local_views = 1, 2, 256, 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    NnUNetPaths.under(args.work / "nnunet").apply()
    results_root = args.work / "nnunet" / "results_by_init"
    if args.smoke:
        os.environ["nnUNet_extTrainer"] = os.pathsep.join([os.environ["nnUNet_extTrainer"], str(TEST_TRAINERS)])
    os.environ.setdefault("nnUNet_compile", "false")
    trainers = SMOKE_TRAINERS if args.smoke else TRAINERS
    store = RecordFolder(args.out / "records")
    failed = 0
    for dim in args.dims:
        prepared = None
        for seed in args.seeds:
            encoders: dict[str, tuple[Path, float]] = {}
            for fraction in args.fractions:
                for init in args.inits:
                    for arm in args.trainers:
                        settings = {"dim": dim, "seed": seed, "fraction": fraction, "init": init, "arm": arm,
                                    "trainer": trainers[arm], "pretrain_epochs": args.pretrain_epochs,
                                    "pretrain_iterations": args.pretrain_iterations, "smoke": args.smoke,
                                    **({"head_pooling": DEFAULT_POOLING} if arm == "Cls" else {})}
                        key = f"{dim}d_seed{seed}_frac{fraction:g}_{init}_{arm}"
                        if store.is_done(key, settings):
                            continue
                        try:
                            prepared = prepared or prepare(dim, args.work, args.smoke)
                            fold, n_labelled = fold_for(prepared, fraction, seed)
                            pretrain_s, init_file = None, None
                            if init != "random":
                                if init not in encoders:
                                    encoders[init] = pretrain_encoder(prepared, init, seed, args)
                                encoder, pretrain_s = encoders[init]
                                init_file = initial_weights(prepared, trainers[arm], encoder,
                                                            encoder.parent / f"init_{trainers[arm]}.pth")
                            result = finetune_and_test(prepared, trainers[arm], fold, init_file,
                                                       results_root / f"{init}_seed{seed}", dim, args)
                            store.write(key, {"status": "done", "settings": settings, "fold": fold,
                                              "n_labelled": n_labelled, "pretrain_s": pretrain_s, **result})
                        except Exception as exc:  # noqa: BLE001 - one failed run must not stop the others
                            logger.exception("%s failed: %s", key, exc)
                            failed += 1
                        write_report(store.read_all(), args.out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
