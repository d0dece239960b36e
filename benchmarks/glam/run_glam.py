"""GLAM benchmark: masks from image-level labels alone, on high-resolution synthetic images.

    .venv/bin/python benchmarks/glam/run_glam.py --dims 2 3 --seeds 0 1 2 --device cuda   # --config full
    .venv/bin/python benchmarks/glam/run_glam.py --config cpu --dims 2 3 --seeds 0 1 2     # on a CPU

Two configurations (``--config``), each with its own records and nnU-Net trees:

* ``full`` (default, sized for a GPU): 2D 512 x 512, target radius 6, 150 objects; 3D 96^3, radius 4,
  150 objects; nnU-Net's own plans (GLAM and Cls need a patch that covers the image); schedule
  ``_glambench`` (100 epochs x 50 iterations, 10 validation batches). Records ``2d_seed0_glam``, trees
  ``--work/2d_seed0``.
* ``cpu``: 2D 128 x 128 / 3D 48^3, target radius 4, 12 objects, 1 distractor kind, noise 10 (the
  suite's CPU task on a larger canvas); plans preset
  ``cpu_small`` (patch capped at 128^2 / 48^3, so the patch covers the whole image, as GLAM and Cls
  need: training and prediction see the same scale); schedule ``_glamcpu`` (40 epochs x 40
  iterations, 5 validation batches). Records ``cpu_2d_seed0_glam``, trees ``--work/cpu/2d_seed0``.
  Smaller than ``full``: the global module still sees the image at its own low resolution and the
  local module full-resolution patches, but the images are not "high resolution" in the paper's sense.

``--preset`` overrides the configuration's plans preset (``none``: nnU-Net's own plans).

For each dimension and seed: a synthetic dataset with small targets (``segcls3d synth``, sizes as above;
3 distractor kinds, no spurious correlation; 80 training + 20 validation + 40 test cases, prevalence 0.5),
planned and preprocessed by nnU-Net. Four arms, each with the configuration's schedule (initial learning
rate 3e-2):

* ``glam``: nnUNetTrainerGLAM on the image labels; its maps (``segcls3d predict``), masks = maps > 0.5;
* ``cls_gradcam``: nnUNetTrainerCls; Grad-CAM of its deepest encoder stage (``segcls3d saliency``),
  masks = the maps binarised with Otsu (CheXseg's weak masks without expert masks);
* ``segcls_glam_masks``: ``segcls3d pseudolabel glam`` on the training images without their masks, then
  nnUNetTrainerSegCls on them: the path from labels only to a classifier with masks;
* ``segcls_supervised``: nnUNetTrainerSegCls on the true masks (the ceiling).

Measured on the test cases: AUROC (GLAM and Cls: their image probability; SegCls: the rule-based g),
Dice of the masks on the positive cases, PxAP of the maps (image-level mean, dataset-level; SegCls: its
class probability map), training time, peak memory (``peak_memory.json``: CUDA allocated, else resident)
and inference time per case. ``segcls_glam_masks`` also records the Dice of the GLAM training masks.

One JSON record per (config, dim, seed, arm) in ``--out/records`` (resumable: finished runs are skipped,
trained models reused); ``results.md`` is rewritten after each run. ``--smoke`` checks the script on tiny
data (48^2, 24^3; schedule ``_glamsmoke``) with the configuration's preset; its records (``smoke_...``,
``cpu_smoke_...``) and trees (``--work/smoke``, ``--work/cpu_smoke``) are kept apart from real runs.
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glam_arms import ARMS, ArmContext, run_arm
from glam_report import write_report

from segcls3d.experiments.plan.datasets import DatasetSpec
from segcls3d.experiments.run import steps
from segcls3d.io.records import RecordFolder
from segcls3d.model.heads import DEFAULT_POOLING
from segcls3d.pipeline import NnUNetPaths

ROOT = Path(__file__).resolve().parents[2]
BENCH_TRAINERS = Path(__file__).resolve().parent / "trainers"
SOURCE_ID = 975  # each (config, dim, seed) has its own nnU-Net tree: 975 the dataset, 976 its GLAM masks
SMOKE_DATA = {2: {"shape": (48, 48), "target_size": 2.5, "n_objects": 8},
              3: {"shape": (24, 24, 24), "target_size": 2.5, "n_objects": 8}}
logger = logging.getLogger("glam_bench")


@dataclass(frozen=True)
class BenchConfig:
    """Data per dimension, plans preset and schedule of one configuration, and where its runs are kept.

    ``tag`` prefixes the record keys and names the sub-folder of ``--work``; ``full``'s is empty, so its
    records and trees keep the names they had before configurations existed.
    """

    name: str
    data: dict[int, dict[str, Any]]
    preset: str | None
    schedule: str
    tag: str = ""

    def smoke(self) -> BenchConfig:
        """The same configuration on tiny data with the smoke schedule, its runs kept apart."""
        return dataclasses.replace(self, name=f"{self.name}-smoke", data=SMOKE_DATA, schedule="_glamsmoke",
                                   tag="_".join(t for t in (self.tag, "smoke") if t))

    def key(self, dim: int, seed: int, arm: str) -> str:
        """Record key of one run: ``2d_seed0_glam`` (full), ``cpu_2d_seed0_glam`` (cpu)."""
        return f"{self.tag + '_' if self.tag else ''}{dim}d_seed{seed}_{arm}"

    def tree(self, work: Path, dim: int, seed: int) -> Path:
        """nnU-Net tree of one (dim, seed): ``work/2d_seed0`` (full), ``work/cpu/2d_seed0`` (cpu)."""
        return (work / self.tag if self.tag else work) / f"{dim}d_seed{seed}"


#: the suite's CPU task (one distractor kind, noise 10: learnable in a short schedule) on a larger canvas. Measured:
#: with 3 distractor kinds, 30 objects and radius 3 at 128^2, even supervised SegCls reached AUROC 0.675 and Dice
#: 0.055 in 40 x 40 iterations (seed 0), so that task said nothing about GLAM.
CPU_TASK = {"distractor_kinds": 1, "noise": 10.0}
CONFIGS = {
    "full": BenchConfig("full", {2: {"shape": (512, 512), "target_size": 6.0, "n_objects": 150},
                                 3: {"shape": (96, 96, 96), "target_size": 4.0, "n_objects": 150}},
                        preset=None, schedule="_glambench"),
    "cpu": BenchConfig("cpu", {2: {"shape": (128, 128), "target_size": 4.0, "n_objects": 12, **CPU_TASK},
                               3: {"shape": (48, 48, 48), "target_size": 4.0, "n_objects": 12, **CPU_TASK}},
                       preset="cpu_small", schedule="_glamcpu", tag="cpu"),
}


def dataset_spec(config: BenchConfig, dim: int, seed: int, n_train: int, n_val: int, n_test: int) -> DatasetSpec:
    data = config.data[dim]
    synth = {"dim": dim, "distractor_kinds": 3, "spurious": 0.0, "prevalence": 0.5, "n_test": n_test, **data}
    return DatasetSpec(dim=dim, seed=seed, synth=synth, n_train=n_train, n_val=n_val)


def is_done(store: RecordFolder, key: str, settings: dict[str, Any]) -> bool:
    """Finished with these settings; a ``full`` record written before configurations existed (no "config") too."""
    if store.is_done(key, settings):
        return True
    return settings["config"] == "full" and store.is_done(key, {k: v for k, v in settings.items() if k != "config"})


def use_tree(tree: Path) -> Path:
    """Point nnU-Net at a (config, dim, seed)'s own tree; let it find the benchmark's trainers."""
    NnUNetPaths.under(tree / "nnunet").apply()
    parts = [p for p in os.environ.get("nnUNet_extTrainer", "").split(os.pathsep) if p]
    if str(BENCH_TRAINERS) not in parts:
        os.environ["nnUNet_extTrainer"] = os.pathsep.join([*parts, str(BENCH_TRAINERS)])
    return tree


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=ROOT / "work_dirs" / "glam", help="nnU-Net folders")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "glam" / "results")
    parser.add_argument("--dims", type=int, nargs="+", choices=(2, 3), default=[2, 3])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--arms", nargs="+", choices=ARMS, default=list(ARMS))
    parser.add_argument("--config", choices=tuple(CONFIGS), default="full",
                        help="image sizes, plans preset and schedule (default full: GPU-sized; cpu: see above)")
    parser.add_argument("--preset", default=None,
                        help="plans preset instead of the config's (full: nnU-Net's own plans, cpu: cpu_small); "
                             "'none': nnU-Net's own plans")
    parser.add_argument("--n-train", type=int, default=80)
    parser.add_argument("--n-val", type=int, default=20)
    parser.add_argument("--n-test", type=int, default=40)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threshold", type=float, default=0.5,
                        help="GLAM map value above which a voxel is in a training mask (pseudolabel glam; default 0.5)")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny images (48^2, 24^3) and 3 x 4 iterations: checks that the script runs "
                             "(records and trees apart from real runs)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    os.environ.setdefault("nnUNet_compile", "false")
    config = CONFIGS[args.config].smoke() if args.smoke else CONFIGS[args.config]
    preset = config.preset if args.preset is None else None if args.preset.lower() == "none" else args.preset
    store = RecordFolder(args.out / "records")
    failed = 0
    for dim in args.dims:
        for seed in args.seeds:
            spec = dataset_spec(config, dim, seed, args.n_train, args.n_val, args.n_test)
            settings = {"config": config.name, "dim": dim, "seed": seed, "schedule": config.schedule,
                        "preset": preset, "data": spec.describe(), "threshold": args.threshold}
            runs = {arm: {**settings, "arm": arm, **({"head_pooling": DEFAULT_POOLING} if arm == "cls_gradcam" else {})}
                    for arm in args.arms}
            keys = {arm: config.key(dim, seed, arm) for arm in args.arms}
            if all(is_done(store, keys[arm], runs[arm]) for arm in args.arms):
                continue
            tree = use_tree(config.tree(args.work, dim, seed))
            try:
                prepared = steps.prepare_dataset(spec, SOURCE_ID, f"Dataset{SOURCE_ID}_Glam{dim}DS{seed}", preset,
                                                 tree / "prepared")
            except Exception as exc:  # noqa: BLE001 - one failed dataset must not stop the others
                logger.error("%s: preparing failed: %s", keys, exc)
                failed += 1
                continue
            context = ArmContext(prepared, spec, config.schedule, preset, args.device, tree, args.threshold)
            for arm in args.arms:
                if is_done(store, keys[arm], runs[arm]):
                    continue
                started = time.time()
                try:
                    result = run_arm(arm, context)
                    store.write(keys[arm], {"status": "done", "settings": runs[arm], **result,
                                            "wall_s": round(time.time() - started, 1)})
                except Exception as exc:  # noqa: BLE001
                    logger.exception("%s failed: %s", keys[arm], exc)
                    failed += 1
                write_report(store.read_all(), args.out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
