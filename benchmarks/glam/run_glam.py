"""GLAM benchmark: masks from image-level labels alone, on high-resolution synthetic images (2D 512^2, 3D 96^3).

    .venv/bin/python benchmarks/glam/run_glam.py --dims 2 3 --seeds 0 1 2 --device cuda

For each dimension and seed: a synthetic dataset with small targets (``segcls3d synth``: 2D 512 x 512,
radius 6, 150 objects; 3D 96^3, radius 4; no spurious correlation; 80 training + 20 validation + 40 test
cases, prevalence 0.5), planned and preprocessed by nnU-Net (its own plans unless ``--preset``: GLAM and
Cls need a patch that covers the image). Four arms, each with the same schedule (``_glambench``: 100 x 50
iterations, initial learning rate 3e-2):

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

One JSON record per (dim, seed, arm) in ``--out/records`` (resumable: finished runs are skipped, trained
models reused); ``results.md`` is rewritten after each run. ``--smoke`` checks the script on tiny data.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from glam_arms import ARMS, ArmContext, run_arm
from glam_report import write_report

from segcls3d.experiments.plan.datasets import DatasetSpec
from segcls3d.experiments.run import steps
from segcls3d.io.records import RecordFolder
from segcls3d.pipeline import NnUNetPaths

ROOT = Path(__file__).resolve().parents[2]
BENCH_TRAINERS = Path(__file__).resolve().parent / "trainers"
SOURCE_ID = 975  # each (dim, seed) has its own nnU-Net tree: 975 the dataset, 976 its GLAM masks
DATA = {2: {"shape": (512, 512), "target_size": 6.0, "n_objects": 150},
        3: {"shape": (96, 96, 96), "target_size": 4.0, "n_objects": 150}}
SMOKE_DATA = {2: {"shape": (48, 48), "target_size": 2.5, "n_objects": 8},
              3: {"shape": (24, 24, 24), "target_size": 2.5, "n_objects": 8}}
logger = logging.getLogger("glam_bench")


def dataset_spec(dim: int, seed: int, smoke: bool, n_train: int, n_val: int, n_test: int) -> DatasetSpec:
    data = (SMOKE_DATA if smoke else DATA)[dim]
    synth = {"dim": dim, "shape": data["shape"], "target_size": data["target_size"], "n_objects": data["n_objects"],
             "distractor_kinds": 3, "spurious": 0.0, "prevalence": 0.5, "n_test": n_test}
    return DatasetSpec(dim=dim, seed=seed, synth=synth, n_train=n_train, n_val=n_val)


def use_tree(work: Path, dim: int, seed: int) -> Path:
    """Point nnU-Net at the (dim, seed)'s own tree; let it find the benchmark's trainers."""
    tree = work / f"{dim}d_seed{seed}"
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
    parser.add_argument("--preset", default=None, help="plans preset (default: nnU-Net's own plans)")
    parser.add_argument("--n-train", type=int, default=80)
    parser.add_argument("--n-val", type=int, default=20)
    parser.add_argument("--n-test", type=int, default=40)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threshold", type=float, default=0.5,
                        help="GLAM map value above which a voxel is in a training mask (pseudolabel glam; default 0.5)")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny images (48^2, 24^3) and 3 x 4 iterations: checks that the script runs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    os.environ.setdefault("nnUNet_compile", "false")
    schedule = "_glamsmoke" if args.smoke else "_glambench"
    store = RecordFolder(args.out / "records")
    failed = 0
    for dim in args.dims:
        for seed in args.seeds:
            spec = dataset_spec(dim, seed, args.smoke, args.n_train, args.n_val, args.n_test)
            settings = {"dim": dim, "seed": seed, "schedule": schedule, "preset": args.preset, "data": spec.describe(),
                        "threshold": args.threshold}
            runs = {arm: {**settings, "arm": arm} for arm in args.arms}
            keys = {arm: f"{dim}d_seed{seed}_{arm}" for arm in args.arms}
            if all(store.is_done(keys[arm], runs[arm]) for arm in args.arms):
                continue
            tree = use_tree(args.work, dim, seed)
            try:
                prepared = steps.prepare_dataset(spec, SOURCE_ID, f"Dataset{SOURCE_ID}_Glam{dim}DS{seed}", args.preset,
                                                 tree / "prepared")
            except Exception as exc:  # noqa: BLE001 - one failed dataset must not stop the others
                logger.error("%s: preparing failed: %s", keys, exc)
                failed += 1
                continue
            context = ArmContext(prepared, spec, schedule, args.preset, args.device, tree, args.threshold)
            for arm in args.arms:
                if store.is_done(keys[arm], runs[arm]):
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
