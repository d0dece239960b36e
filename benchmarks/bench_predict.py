"""Prediction throughput (cases/min) of ``segcls3d predict`` against ``nnUNetv2_predict``, same model and cases.

Both commands run as they do for a user: each in a fresh process, through its real command-line
entry point (``segcls3d.cli.main.main`` / ``nnunetv2...predict_entry_point``), with the same
model, folds, test-time augmentation and step size. Inside the process, timers wrap model loading
and the prediction of the cases, so start-up (interpreter, imports, model loading) and per-case
time are reported separately. Runs are interleaved over repeats.

Without ``--model``, a synthetic dataset is made and a model is trained with
``nnUNetTrainerSegCls_smoke`` (the weights do not matter for speed).

Example:
    .venv/bin/python benchmarks/bench_predict.py --shape 24 --n-train 8 --n-test 4
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import _bench_common as common

TOOLS = ("nnUNetv2_predict", "segcls3d predict")
BASELINE = "nnUNetv2_predict"
_TIMINGS: dict = {"load_s": 0.0, "predict_s": 0.0, "case_s": []}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=None, help="trained model folder <trainer>__<plans>__<configuration> "
                   "(default: train nnUNetTrainerSegCls_smoke on synthetic data)")
    p.add_argument("--input", default=None, help="folder of test images (required with --model)")
    p.add_argument("--shape", type=int, nargs="+", default=[32], help="synthetic volume size (one value = cube)")
    p.add_argument("--n-train", type=int, default=16, help="synthetic training cases")
    p.add_argument("--n-test", type=int, default=10, help="synthetic test cases that are predicted")
    p.add_argument("--preset", default="cpu_tiny", help="plans preset, or 'none' for nnU-Net's own plans")
    p.add_argument("--configuration", default="3d_fullres", choices=("3d_fullres", "2d"))
    p.add_argument("--trainer", default="nnUNetTrainerSegCls_smoke", help="trainer for the model trained here")
    p.add_argument("--folds", nargs="+", default=["0"], help="folds to ensemble (default: 0)")
    p.add_argument("--disable-tta", action="store_true", help="no mirroring for either tool")
    p.add_argument("--step-size", type=float, default=0.5, help="sliding-window step size for both")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--npp", type=int, default=None, help="nnUNetv2_predict -npp (default 1 on CPU, 3 on GPU)")
    p.add_argument("--nps", type=int, default=None, help="nnUNetv2_predict -nps (default 1 on CPU, 3 on GPU)")
    p.add_argument("--def-n-proc", type=int, default=None,
                   help="nnUNet_def_n_proc while predicting (default: unset; nnU-Net caps torch threads by it)")
    p.add_argument("--repeats", type=int, default=1, help="runs per tool, interleaved")
    p.add_argument("--dataset-id", type=int, default=978)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--work-dir", default=None, help="nnU-Net tree to use/keep (default: temporary, removed)")
    p.add_argument("--out", default=str(common.DEFAULT_OUT), help="folder for predict.json / predict.md")
    p.add_argument("--worker-timeout", type=float, default=3600)
    p.add_argument("--worker", default=None, choices=TOOLS, help=argparse.SUPPRESS)
    p.add_argument("--result-file", default=None, help=argparse.SUPPRESS)
    p.add_argument("tool_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.model and not args.input:
        p.error("--model needs --input (a folder of images to predict)")
    if args.repeats < 1:
        p.error("--repeats must be >= 1")
    return args


# --------------------------------------------------------------------------------------------- worker
def _timed(fn, key: str):
    @functools.wraps(fn)
    def wrapper(*a, **k):
        start = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            elapsed = time.perf_counter() - start
            if key == "case_s":
                _TIMINGS["case_s"].append(elapsed)
            else:
                _TIMINGS[key] += elapsed
    return wrapper


def worker(tool: str, tool_args: list[str]) -> dict:
    """Run one tool's real entry point in this process, timing imports, model loading and prediction."""
    start = time.perf_counter()
    import torch  # noqa: F401
    from nnunetv2.inference import predict_from_raw_data as nnunet_predict

    if tool == "segcls3d predict":
        # local on purpose: these imports are part of the measured start-up time (import_s)
        import segcls3d.model.loading as model_module
        import segcls3d.predict.case as case_module
        import segcls3d.predict.run as run_module
        from segcls3d.cli.main import main as segcls3d_main

        model_module.load_model = _timed(model_module.load_model, "load_s")
        run_module.predict_folder = _timed(run_module.predict_folder, "predict_s")
        case_module.predict_case = _timed(case_module.predict_case, "case_s")
        import_s = time.perf_counter() - start
        code = segcls3d_main(["predict", *tool_args])
    else:
        cls = nnunet_predict.nnUNetPredictor
        cls.initialize_from_trained_model_folder = _timed(cls.initialize_from_trained_model_folder, "load_s")
        cls.predict_from_files = _timed(cls.predict_from_files, "predict_s")
        cls.predict_from_files_sequential = _timed(cls.predict_from_files_sequential, "predict_s")
        import_s = time.perf_counter() - start
        sys.argv = ["nnUNetv2_predict", *tool_args]
        nnunet_predict.predict_entry_point()
        code = 0
    if code != 0:
        raise SystemExit(f"{tool} exited with {code}")
    return {"tool": tool, "import_s": import_s, **_TIMINGS, "peak_rss_mib": common.peak_rss_mib(),
            "in_process_s": time.perf_counter() - start}


# --------------------------------------------------------------------------------------------- parent
def model_parts(model: Path) -> tuple[str, str, str, str]:
    """(dataset, trainer, plans, configuration) of ``<results>/<dataset>/<trainer>__<plans>__<configuration>``."""
    parts = model.name.split("__")
    if len(parts) != 3:
        raise SystemExit(f"{model}: model folder name must be <trainer>__<plans>__<configuration>")
    return model.parent.name, *parts


def tool_commands(model: Path, input_dir: Path, out_dir: Path, args, device: str, npp: int, nps: int) -> dict:
    """Arguments of both commands, the same model/folds/TTA/step size."""
    dataset, trainer, plans, configuration = model_parts(model)
    nnunet = ["-i", str(input_dir), "-o", str(out_dir / "nnunet"), "-d", dataset, "-tr", trainer, "-p", plans,
              "-c", configuration, "-f", *args.folds, "-step_size", str(args.step_size), "-device", device,
              "-npp", str(npp), "-nps", str(nps), "--disable_progress_bar"]
    ours = ["-i", str(input_dir), "-o", str(out_dir / "segcls3d"), "-m", str(model), "-f", *args.folds,
            "--step-size", str(args.step_size), "--device", device]
    if args.disable_tta:
        nnunet.append("--disable_tta")
        ours.append("--disable-tta")
    return {"nnUNetv2_predict": nnunet, "segcls3d predict": ours}


def train_model(args, work: Path, device: str) -> tuple[Path, Path, float]:
    """Synthetic dataset + a short training with the real nnUNetv2_train (CPU-friendly worker counts)."""
    # local: the module level stays light because worker processes time their own imports
    from segcls3d.pipeline import model_folder, train

    started = time.perf_counter()
    shape = common.parse_shape(args.shape, args.configuration)
    preset = None if args.preset.lower() == "none" else args.preset
    saved = {k: os.environ.get(k) for k in ("nnUNet_n_proc_DA", "nnUNet_def_n_proc", "nnUNet_compile")}
    common.set_cpu_env(device, None, None, False)
    try:
        ds = common.make_dataset(work, args.dataset_id, args.configuration, shape, args.n_train, args.n_test,
                                 preset, args.seed)
        folder = model_folder(work / "nnUNet_results", ds.name, args.trainer, ds.plans, ds.configuration)
        if not all((folder / f"fold_{f}" / "checkpoint_final.pth").is_file() for f in args.folds):
            for fold in args.folds:
                print(f"training {args.trainer} fold {fold} ...", flush=True)
                train(ds.dataset_id, ds.configuration, fold, args.trainer, ds.plans, device,
                      log_file=work / f"train_fold{fold}.log")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return folder, ds.raw / "imagesTs", time.perf_counter() - started


def mask_agreement(out_dir: Path) -> dict:
    """Fraction of identical voxels between the two tools' masks (min over cases): they did the same work."""
    import numpy as np
    import SimpleITK as sitk

    fractions = {}
    for ours in sorted((out_dir / "segcls3d").glob("*.nii.gz")):
        theirs = out_dir / "nnunet" / ours.name
        if theirs.is_file():
            a = sitk.GetArrayFromImage(sitk.ReadImage(str(ours)))
            b = sitk.GetArrayFromImage(sitk.ReadImage(str(theirs)))
            fractions[ours.name] = float(np.mean(a == b)) if a.shape == b.shape else 0.0
    return {"cases_compared": len(fractions), "min_identical_fraction": min(fractions.values(), default=float("nan"))}


def aggregate(runs: dict[str, list[dict]], n_cases: int) -> dict:
    summary = {}
    for tool, results in runs.items():
        ok = [r for r in results if "error" not in r]
        wall = common.describe([r["process_wall_s"] for r in ok])
        predict = common.describe([r["predict_s"] for r in ok])
        s = {
            "process_wall_s": wall,
            "import_s": common.describe([r["import_s"] for r in ok]),
            "load_s": common.describe([r["load_s"] for r in ok]),
            "predict_s": predict,
            "startup_s": common.describe([r["process_wall_s"] - r["predict_s"] for r in ok]),
            "per_case_s": predict["median"] / n_cases if n_cases else float("nan"),
            "case_s": common.describe([c for r in ok for c in r.get("case_s", [])]),
            "cases_per_min_end_to_end": 60 * n_cases / wall["median"] if ok else float("nan"),
            "cases_per_min_predict": 60 * n_cases / predict["median"] if ok else float("nan"),
            "peak_rss_mib": max((r["peak_rss_mib"] for r in ok), default=None),
            "errors": [r["error"] for r in results if "error" in r],
        }
        summary[tool] = s
    base = summary.get(BASELINE)
    for s in summary.values():
        s["ratio_to_" + BASELINE] = {
            k: s[k] / base[k] for k in ("cases_per_min_end_to_end", "cases_per_min_predict")
        } if base else {}
    return summary


def markdown(summary: dict, meta: dict) -> str:
    rows = []
    ratio_key = "ratio_to_" + BASELINE
    for tool, s in summary.items():
        r = s[ratio_key]
        rows.append([f"`{tool}`" + (" (failed)" if s["errors"] else ""),
                     common.fmt(s["cases_per_min_end_to_end"], 1), common.fmt(r.get("cases_per_min_end_to_end"), 2),
                     common.fmt(s["cases_per_min_predict"], 1), common.fmt(r.get("cases_per_min_predict"), 2),
                     common.fmt(s["startup_s"]["median"], 1), common.fmt(s["load_s"]["median"], 2),
                     common.fmt(s["per_case_s"], 2), common.fmt(s["peak_rss_mib"], 0)])
    headers = ["command", "cases/min end-to-end", "x nnUNetv2_predict", "cases/min predicting",
               "x nnUNetv2_predict", "start-up s", "of which model load s", "s/case", "peak MiB"]
    a = meta["settings"]
    agree = meta.get("mask_agreement", {})
    text = [
        f"### Prediction throughput ({meta['configuration']}, {meta['device']})",
        "",
        common.markdown_table(headers, rows),
        "",
        f"{meta['n_cases']} cases ({meta['input_description']}); model `{meta['model_name']}`, folds "
        f"{' '.join(a['folds'])}, TTA {'off' if a['disable_tta'] else 'on'}, step size {a['step_size']}; "
        f"nnUNetv2_predict with -npp {meta['npp']} -nps {meta['nps']}. Each command in a fresh process through its "
        f"real entry point; {a['repeats']} interleaved repeat(s), medians. End-to-end = whole process (interpreter, "
        "imports, model loading, all cases, writing); 'predicting' = the prediction of all cases only "
        "(nnU-Net: `predict_from_files`, incl. its worker pools; segcls3d: `predict_folder`, incl. the summarizer "
        "and classification.csv); start-up = end-to-end minus predicting. Peak MiB: the command's main process "
        "(nnU-Net's worker processes not included). Masks of both tools identical on "
        f"{common.fmt(100 * agree.get('min_identical_fraction', float('nan')), 2)}% of voxels (worst case). "
        f"Env: {', '.join(f'{k}={v}' for k, v in meta['env'].items()) or 'nnU-Net defaults'}.",
        "",
        common.machine_line(meta["machine"]),
    ]
    return "\n".join(text)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        tool_args = args.tool_args[1:] if args.tool_args[:1] == ["--"] else args.tool_args
        Path(args.result_file).write_text(json.dumps(worker(args.worker, tool_args)))
        return 0

    # local: the module level stays light because worker processes time their own imports
    from segcls3d.nnunet_env import ensure_ext_trainer_path

    device = common.resolve_device(args.device)
    npp = args.npp if args.npp is not None else (1 if device == "cpu" else 3)
    nps = args.nps if args.nps is not None else (1 if device == "cpu" else 3)
    work = Path(args.work_dir) if args.work_dir else Path(tempfile.mkdtemp(prefix="segcls3d_bench_predict_"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        if args.model:
            model, input_dir, train_s = Path(args.model).resolve(), Path(args.input).resolve(), 0.0
            description = str(input_dir)
        else:
            print(f"preparing data and model in {work} ...", flush=True)
            model, input_dir, train_s = train_model(args, work, device)
            description = f"synthetic {'x'.join(map(str, common.parse_shape(args.shape, args.configuration)))}"
        os.environ["nnUNet_results"] = str(model.parents[1])  # nnUNetv2_predict finds -d/-tr/-p/-c there
        ensure_ext_trainer_path()
        if args.def_n_proc is not None:
            os.environ["nnUNet_def_n_proc"] = str(args.def_n_proc)
        env_keys = ("nnUNet_def_n_proc", "nnUNet_n_proc_DA", "nnUNet_compile")
        env = {k: os.environ[k] for k in env_keys if k in os.environ}
        n_cases = len({p.name.rsplit("_", 1)[0] for p in input_dir.glob("*_0000.nii.gz")}) or \
            len(list(input_dir.glob("*.nii.gz")))
        runs: dict[str, list[dict]] = {t: [] for t in TOOLS}
        logs = work / "bench_logs"
        logs.mkdir(parents=True, exist_ok=True)
        pred_dir = work / "bench_predictions"
        for repeat in range(args.repeats):
            shutil.rmtree(pred_dir, ignore_errors=True)
            commands = tool_commands(model, input_dir, pred_dir, args, device, npp, nps)
            for tool in TOOLS:  # interleaved
                slug = tool.split()[0]
                log, res = logs / f"{slug}_r{repeat}.log", logs / f"{slug}_r{repeat}.json"
                cmd = [str(Path(__file__).resolve()), "--worker", tool, "--result-file", str(res), "--",
                       *commands[tool]]
                result = common.run_worker(cmd, log, res, timeout=args.worker_timeout)
                if "error" in result:
                    keep = out / "logs"
                    keep.mkdir(exist_ok=True)
                    shutil.copy(log, keep / log.name)
                    print(f"  {tool} (repeat {repeat + 1}) FAILED, log: {keep / log.name}", file=sys.stderr)
                else:
                    print(f"  repeat {repeat + 1}/{args.repeats} {tool}: {result['process_wall_s']:.1f} s "
                          f"(predicting {result['predict_s']:.1f} s)", flush=True)
                result["command"] = [tool.split()[0], *tool.split()[1:], *commands[tool]]
                runs[tool].append(result)
        summary = aggregate(runs, n_cases)
        settings = {k: v for k, v in vars(args).items() if k not in ("worker", "result_file", "tool_args")}
        meta = {"benchmark": "predict", "settings": settings, "device": device, "env": env, "npp": npp, "nps": nps,
                "model": str(model), "model_name": model.name, "configuration": model_parts(model)[3],
                "input": str(input_dir), "input_description": description, "n_cases": n_cases,
                "machine": common.machine_info(device), "train_s": train_s,
                "mask_agreement": mask_agreement(pred_dir), "total_s": time.perf_counter() - started, "runs": runs}
        table = markdown(summary, meta)
        json_path, md_path = common.write_outputs(out, "predict", {**meta, "summary": summary}, table)
        print("\n" + table + f"\n\nwritten: {json_path}, {md_path}")
        return 1 if any(s["errors"] for s in summary.values()) else 0
    finally:
        if not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
