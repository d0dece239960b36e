"""Seconds per training iteration of segcls3d's trainers against plain nnUNetTrainer, same data and plans.

One synthetic dataset is made, planned and preprocessed once; then every trainer is measured in a
fresh process (``--worker``), interleaved over repeats (A B C D A B C D ...), the way nnU-Net trains:
``get_trainer_from_args`` -> ``on_train_start`` -> ``on_train_epoch_start`` -> timed
``train_step(next(dataloader_train))`` -> timed validation steps -> ``on_train_end``.

Example:
    .venv/bin/python benchmarks/bench_training.py --shape 24 --n-train 8 --iterations 5 --warmup 2
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import _bench_common as common

TRAINERS = ("nnUNetTrainer", "nnUNetTrainerSegCls", "nnUNetTrainerCls", "nnUNetTrainerMultitask")
BASELINE = "nnUNetTrainer"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shape", type=int, nargs="+", default=[32], help="volume size (one value = cube/square)")
    p.add_argument("--n-train", type=int, default=16, help="synthetic training cases (default 16)")
    p.add_argument("--preset", default="cpu_tiny", help="plans preset, or 'none' for nnU-Net's own plans")
    p.add_argument("--configuration", default="3d_fullres", choices=("3d_fullres", "2d"))
    p.add_argument("--iterations", type=int, default=20, help="timed training iterations per measurement")
    p.add_argument("--warmup", type=int, default=3, help="untimed training iterations first")
    p.add_argument("--val-iterations", type=int, default=None, help="timed validation steps (default: --iterations)")
    p.add_argument("--val-warmup", type=int, default=None, help="untimed validation steps first (default: --warmup)")
    p.add_argument("--repeats", type=int, default=3, help="measurements per trainer, interleaved")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--trainers", nargs="+", default=list(TRAINERS), help=f"trainer classes (default: {TRAINERS})")
    p.add_argument("--n-proc-da", type=int, default=None, help="nnUNet_n_proc_DA (default 0 on CPU, nnU-Net's on GPU)")
    p.add_argument("--def-n-proc", type=int, default=None, help="nnUNet_def_n_proc (default 1 on CPU)")
    p.add_argument("--compile", action="store_true", help="let nnU-Net torch.compile (off by default: "
                   "Cls/Multitask never compile, so plain nnUNetTrainer would not be comparable)")
    p.add_argument("--dataset-id", type=int, default=977)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--work-dir", default=None, help="nnU-Net tree to use/keep (default: a temporary folder, removed)")
    p.add_argument("--out", default=str(common.DEFAULT_OUT), help="folder for training.json / training.md")
    p.add_argument("--worker-timeout", type=float, default=1800, help="seconds before a measurement is abandoned")
    # internal: one measurement in this process
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    p.add_argument("--dataset", default=None, help=argparse.SUPPRESS)
    p.add_argument("--plans", default=None, help=argparse.SUPPRESS)
    p.add_argument("--result-file", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.val_iterations = args.iterations if args.val_iterations is None else args.val_iterations
    args.val_warmup = args.warmup if args.val_warmup is None else args.val_warmup
    if min(args.iterations, args.val_iterations, args.repeats) < 1 or min(args.warmup, args.val_warmup) < 0:
        p.error("--iterations/--val-iterations/--repeats must be >= 1 and warm-ups >= 0")
    return args


# --------------------------------------------------------------------------------------------- worker
def measure(args: argparse.Namespace) -> dict:
    """One trainer, one process: timings of training and validation steps, peak memory."""
    import multiprocessing
    import resource

    import torch
    from nnunetv2.run.run_training import get_trainer_from_args

    device = torch.device(args.device)
    if device.type == "cpu":  # what nnUNetv2_train does
        torch.set_num_threads(multiprocessing.cpu_count())
    else:
        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
        torch.backends.cudnn.deterministic = False
        torch.backends.cudnn.benchmark = True

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    t0 = time.perf_counter()
    trainer = get_trainer_from_args(args.dataset, args.configuration, 0, args.worker, args.plans, False, device=device)
    trainer.disable_checkpointing = True  # nothing of the run is kept
    trainer.on_train_start()
    setup_s = time.perf_counter() - t0
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()

    trainer.on_train_epoch_start()
    load_s, step_s, outputs = [], [], []
    for i in range(args.warmup + args.iterations):
        sync()
        a = time.perf_counter()
        batch = next(trainer.dataloader_train)
        b = time.perf_counter()
        outputs.append(trainer.train_step(batch))
        sync()
        c = time.perf_counter()
        if i >= args.warmup:
            load_s.append(b - a)
            step_s.append(c - b)
    trainer.on_train_epoch_end(outputs)

    val_load_s, val_step_s, val_outputs = [], [], []
    with torch.no_grad():
        sync()
        a = time.perf_counter()
        trainer.on_validation_epoch_start()
        sync()
        val_start_s = time.perf_counter() - a
        for i in range(args.val_warmup + args.val_iterations):
            sync()
            a = time.perf_counter()
            batch = next(trainer.dataloader_val)
            b = time.perf_counter()
            val_outputs.append(trainer.validation_step(batch))
            sync()
            c = time.perf_counter()
            if i >= args.val_warmup:
                val_load_s.append(b - a)
                val_step_s.append(c - b)
        a = time.perf_counter()
        trainer.on_validation_epoch_end(val_outputs)
        sync()
        val_end_s = time.perf_counter() - a
    gpu_peak = torch.cuda.max_memory_allocated() / 2 ** 20 if device.type == "cuda" else None
    trainer.on_train_end()  # shuts the augmenters down (checkpointing is disabled)
    return {
        "trainer": args.worker,
        "setup_s": setup_s,
        "train_load_s": load_s,
        "train_step_s": step_s,
        "train_iteration_s": [x + y for x, y in zip(load_s, step_s)],
        "val_load_s": val_load_s,
        "val_step_s": val_step_s,
        "val_iteration_s": [x + y for x, y in zip(val_load_s, val_step_s)],
        "val_epoch_start_s": val_start_s,
        "val_epoch_end_s": val_end_s,
        "peak_rss_mib": common.peak_rss_mib(),
        "peak_rss_children_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "peak_gpu_mib": gpu_peak,
        "patch_size": [int(s) for s in trainer.configuration_manager.patch_size],
        "batch_size": int(trainer.batch_size),
        "num_iterations_per_epoch": int(trainer.num_iterations_per_epoch),
        "num_val_iterations_per_epoch": int(trainer.num_val_iterations_per_epoch),
        "torch_threads": torch.get_num_threads(),
    }


# --------------------------------------------------------------------------------------------- parent
def aggregate(runs: dict[str, list[dict]]) -> dict[str, dict]:
    """Per trainer: pooled statistics over repeats, ratios to the baseline (pooled medians and per repeat)."""
    summary = {}
    for name, results in runs.items():
        ok = [r for r in results if "error" not in r]
        s = {key: common.describe([v for r in ok for v in r[key]]) for key in
             ("train_iteration_s", "train_load_s", "train_step_s", "val_iteration_s", "val_step_s")}
        s["val_epoch_end_s"] = common.describe([r["val_epoch_end_s"] for r in ok])
        s["setup_s"] = common.describe([r["setup_s"] for r in ok])
        s["peak_rss_mib"] = max((r["peak_rss_mib"] for r in ok), default=None)
        s["peak_gpu_mib"] = max((r["peak_gpu_mib"] for r in ok if r["peak_gpu_mib"] is not None), default=None)
        s["errors"] = [r["error"] for r in results if "error" in r]
        if ok:
            n_tr, n_val = ok[0]["num_iterations_per_epoch"], ok[0]["num_val_iterations_per_epoch"]
            s["epoch_estimate_s"] = (n_tr * s["train_iteration_s"]["median"] + n_val * s["val_iteration_s"]["median"]
                                     + s["val_epoch_end_s"]["median"])
            s["epoch_iterations"] = [n_tr, n_val]
        summary[name] = s
    base = summary.get(BASELINE)
    for name, s in summary.items():
        ratios = {}
        for key in ("train_iteration_s", "val_iteration_s"):
            if base and base[key]["n"] and s[key]["n"]:
                ratios[key] = s[key]["median"] / base[key]["median"]
                per_repeat = []
                for mine, theirs in zip(runs[name], runs[BASELINE]):
                    if "error" not in mine and "error" not in theirs:
                        per_repeat.append(common.describe(mine[key])["median"] / common.describe(theirs[key])["median"])
                ratios[f"{key}_per_repeat"] = per_repeat
        if base and "epoch_estimate_s" in s and "epoch_estimate_s" in base:
            ratios["epoch_estimate_s"] = s["epoch_estimate_s"] / base["epoch_estimate_s"]
        s["ratio_to_" + BASELINE] = ratios
    return summary


def markdown(summary: dict, meta: dict) -> str:
    ratio_key = "ratio_to_" + BASELINE
    rows = []
    for name, s in summary.items():
        r = s[ratio_key]
        mem = common.fmt(s["peak_gpu_mib"], 0) + " GPU" if s["peak_gpu_mib"] is not None else \
            common.fmt(s["peak_rss_mib"], 0)
        tr, val = s["train_iteration_s"], s["val_iteration_s"]
        rows.append([
            f"`{name}`" + (" (failed)" if s["errors"] else ""),
            f"{common.fmt(tr['median'])} ({common.fmt(tr['iqr'])})", common.fmt(r.get("train_iteration_s"), 2),
            common.fmt(s["train_load_s"]["median"]),
            f"{common.fmt(val['median'])} ({common.fmt(val['iqr'])})", common.fmt(r.get("val_iteration_s"), 2),
            common.fmt(s["val_epoch_end_s"]["median"]),
            common.fmt(s.get("epoch_estimate_s"), 1), common.fmt(r.get("epoch_estimate_s"), 2), mem,
        ])
    headers = ["trainer", "train s/it, median (IQR)", f"x {BASELINE}", "of which data s/it",
               "val s/it, median (IQR)", f"x {BASELINE}", "val epoch end s", "est. epoch s", f"x {BASELINE}",
               "peak MiB"]
    first = next((r for rs in meta["runs"].values() for r in rs if "error" not in r), {})
    n_tr, n_val = first.get("num_iterations_per_epoch", "?"), first.get("num_val_iterations_per_epoch", "?")
    a = meta["settings"]
    text = [
        f"### Training speed ({a['configuration']}, {meta['device']})",
        "",
        common.markdown_table(headers, rows),
        "",
        f"Same data and plans for all trainers: synthetic {'x'.join(map(str, a['shape']))} volumes, {a['n_train']} "
        f"training cases, plans `{meta['plans']}` (patch {first.get('patch_size')}, batch {first.get('batch_size')}). "
        f"{a['iterations']} timed training iterations after {a['warmup']} warm-up and {a['val_iterations']} timed "
        f"validation steps after {a['val_warmup']} warm-up, per measurement; {a['repeats']} interleaved repeat(s), "
        "each trainer in a fresh process. s/it = `next(dataloader)` + step; IQR pooled over repeats. "
        f"'est. epoch' = {n_tr} x train + {n_val} x val s/it + val epoch end (nnU-Net's epoch; the final "
        "full-case validation is not included). Peak MiB: max RSS of the process (CPU) or "
        "`torch.cuda.max_memory_allocated` (GPU); data-augmentation workers (nnUNet_n_proc_DA > 0) not included. "
        f"Env: {', '.join(f'{k}={v}' for k, v in meta['env'].items())}.",
        "",
        common.machine_line(meta["machine"]),
    ]
    return "\n".join(text)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        result = measure(args)
        Path(args.result_file).write_text(json.dumps(result))
        return 0

    device = common.resolve_device(args.device)
    env = common.set_cpu_env(device, args.n_proc_da, args.def_n_proc, args.compile)
    shape = common.parse_shape(args.shape, args.configuration)
    work = Path(args.work_dir) if args.work_dir else Path(tempfile.mkdtemp(prefix="segcls3d_bench_train_"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        print(f"preparing data in {work} ...", flush=True)
        preset = None if args.preset.lower() == "none" else args.preset
        ds = common.make_dataset(work, args.dataset_id, args.configuration, shape, args.n_train, 0, preset, args.seed)
        prep_s = time.perf_counter() - started
        runs: dict[str, list[dict]] = {t: [] for t in args.trainers}
        logs = work / "bench_logs"
        logs.mkdir(exist_ok=True)
        for repeat in range(args.repeats):
            for trainer in args.trainers:  # interleaved: A B C D A B C D ...
                log, res = logs / f"{trainer}_r{repeat}.log", logs / f"{trainer}_r{repeat}.json"
                cmd = [str(Path(__file__).resolve()), "--worker", trainer, "--dataset", ds.name, "--plans", ds.plans,
                       "--configuration", ds.configuration, "--device", device, "--result-file", str(res),
                       "--iterations", str(args.iterations), "--warmup", str(args.warmup),
                       "--val-iterations", str(args.val_iterations), "--val-warmup", str(args.val_warmup)]
                result = common.run_worker(cmd, log, res, timeout=args.worker_timeout)
                if "error" in result:
                    keep = out / "logs"
                    keep.mkdir(exist_ok=True)
                    shutil.copy(log, keep / log.name)
                    print(f"  {trainer} (repeat {repeat + 1}) FAILED, log: {keep / log.name}", file=sys.stderr)
                else:
                    med = common.describe(result["train_iteration_s"])["median"]
                    print(f"  repeat {repeat + 1}/{args.repeats} {trainer}: {med:.3f} s/it", flush=True)
                runs[trainer].append(result)
        summary = aggregate(runs)
        settings = {k: v for k, v in vars(args).items() if k not in ("worker", "dataset", "plans", "result_file")}
        settings["shape"] = list(shape)
        meta = {"benchmark": "training", "settings": settings, "device": device, "env": env, "plans": ds.plans,
                "dataset": ds.name, "machine": common.machine_info(device), "prepare_s": prep_s,
                "total_s": time.perf_counter() - started, "runs": runs}
        table = markdown(summary, meta)
        json_path, md_path = common.write_outputs(out, "training", {**meta, "summary": summary}, table)
        print("\n" + table + f"\n\nwritten: {json_path}, {md_path}")
        return 1 if any(s["errors"] for s in summary.values()) else 0
    finally:
        if not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
