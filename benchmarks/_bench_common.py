"""Shared pieces of the benchmark scripts: synthetic nnU-Net tree, machine info, statistics, output.

Not part of the library: imported by ``bench_training.py`` and ``bench_predict.py`` (their folder
is on ``sys.path`` when they run as scripts).
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "work_dirs" / "benchmarks"  # git-ignored


# ---------------------------------------------------------------------------------------------- data
@dataclass(frozen=True)
class BenchDataset:
    """A synthetic dataset planned and preprocessed inside a private nnU-Net tree."""

    dataset_id: int
    name: str
    raw: Path
    plans: str
    configuration: str
    root: Path


def parse_shape(values: Sequence[int], configuration: str) -> tuple[int, ...]:
    """``--shape 24`` -> (24, 24, 24) for 3d configurations, (24, 24) for ``2d``; explicit sizes kept."""
    if len(values) == 1:
        return tuple(values) * (2 if configuration == "2d" else 3)
    if len(values) not in (2, 3):
        raise SystemExit(f"--shape takes 1, 2 or 3 sizes, got {list(values)}")
    return tuple(values)


TEST_TRAINERS = Path(__file__).resolve().parents[1] / "tests" / "trainers"


def add_test_trainers() -> None:
    """Let nnU-Net find the test-only ``_smoke`` schedules (the benchmarks' weights do not matter)."""
    parts = [p for p in os.environ.get("nnUNet_extTrainer", "").split(os.pathsep) if p]
    if str(TEST_TRAINERS) not in parts:
        os.environ["nnUNet_extTrainer"] = os.pathsep.join([*parts, str(TEST_TRAINERS)])


def make_dataset(root: Path, dataset_id: int, configuration: str, shape: tuple[int, ...], n_train: int,
                 n_test: int, preset: Optional[str], seed: int = 0) -> BenchDataset:
    """synth -> nnU-Net plan/preprocess -> plans preset, in ``root`` (reused if already there).

    Sets nnUNet_raw/preprocessed/results and nnUNet_extTrainer in ``os.environ`` (inherited by workers).
    """
    # local: the benchmark workers import this module and time their own (torch, nnU-Net) imports
    from segcls3d.pipeline import NnUNetPaths, plan_and_preprocess
    from segcls3d.plans import write_preset_plans
    from segcls3d.synth import SynthConfig, generate_dataset

    paths = NnUNetPaths.under(root)
    paths.apply()
    add_test_trainers()
    name = f"Dataset{dataset_id:03d}_Bench{len(shape)}D"
    reference_size = 48 ** 3 if len(shape) == 3 else 96 ** 2
    n_objects = max(6, round((100 if len(shape) == 3 else 50) * float(np.prod(shape)) / reference_size))
    config = SynthConfig(dim=len(shape), shape=shape, n_train=n_train, n_test=n_test, target_size=2.5,
                         n_objects=n_objects, distractor_kinds=3, seed=seed, dataset_name=name)
    raw = generate_dataset(config, paths.raw / name, progress=False)
    if not (paths.preprocessed / name / "nnUNetPlans.json").is_file() or \
            not any((paths.preprocessed / name).glob(f"*_{configuration}")):
        plan_and_preprocess(dataset_id, (configuration,), num_processes=1)
    plans = write_preset_plans(name, preset).stem if preset else "nnUNetPlans"
    return BenchDataset(dataset_id, name, Path(raw), plans, configuration, root)


def set_cpu_env(device: str, n_proc_da: Optional[int], def_n_proc: Optional[int], compile_: bool) -> dict[str, str]:
    """nnU-Net worker counts (defaults: 0 / 1 on CPU, nnU-Net's own on GPU) and torch.compile; returns them."""
    if device == "cpu":
        n_proc_da = 0 if n_proc_da is None else n_proc_da
        def_n_proc = 1 if def_n_proc is None else def_n_proc
    if n_proc_da is not None:
        os.environ["nnUNet_n_proc_DA"] = str(n_proc_da)
    if def_n_proc is not None:
        os.environ["nnUNet_def_n_proc"] = str(def_n_proc)
    os.environ["nnUNet_compile"] = "true" if compile_ else "false"
    keys = ("nnUNet_n_proc_DA", "nnUNet_def_n_proc", "nnUNet_compile", "nnUNet_npp", "nnUNet_nps")
    return {k: os.environ[k] for k in keys if k in os.environ}


def resolve_device(name: str) -> str:
    """'auto' -> 'cuda' if available else 'cpu'; refuse 'cuda' without a GPU."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda requested but torch sees no CUDA device")
    return name


# ------------------------------------------------------------------------------------------- machine
def machine_info(device: str) -> dict[str, Any]:
    """CPU model, core counts, memory, versions and the accelerator used."""
    import importlib.metadata as md

    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gib = round(int(line.split()[1]) / 2 ** 20, 1)
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gib": mem_gib,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "nnunetv2": md.version("nnunetv2"),
        "torch_threads": torch.get_num_threads(),
        "device": device,
        "gpu": torch.cuda.get_device_name(0) if device == "cuda" else None,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    return info


def machine_line(info: dict[str, Any]) -> str:
    """One markdown line describing the machine."""
    accel = f", GPU {info['gpu']}" if info.get("gpu") else ""
    return (f"Machine: {info['cpu']}, {info['cpu_affinity'] or info['cpu_count']} cores usable "
            f"({info['cpu_count']} logical), {info['memory_gib']} GiB RAM{accel}; device {info['device']}; "
            f"torch {info['torch']}, nnunetv2 {info['nnunetv2']}, Python {info['python']}; {info['date']}.")


# ----------------------------------------------------------------------------------------- statistics
def describe(values: Sequence[float]) -> dict[str, Any]:
    """Median, quartiles, IQR, mean and count (NaN when empty)."""
    arr = np.asarray(list(values), dtype=float)
    if arr.size == 0:
        nan = float("nan")
        return {"n": 0, "median": nan, "q25": nan, "q75": nan, "iqr": nan, "mean": nan}
    q25, med, q75 = np.percentile(arr, [25, 50, 75])
    return {"n": int(arr.size), "median": float(med), "q25": float(q25), "q75": float(q75),
            "iqr": float(q75 - q25), "mean": float(arr.mean())}


def fmt(value: Optional[float], digits: int = 3) -> str:
    """Number for a table cell ('-' for missing / NaN)."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "-"
    return f"{value:.{digits}f}"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- output
def write_outputs(out_dir: Path, stem: str, result: dict, markdown: str) -> tuple[Path, Path]:
    """``<out>/<stem>.json`` and ``<out>/<stem>.md`` (written to a temporary name, then renamed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
    for path, text in ((json_path, json.dumps(result, indent=2, default=str)), (md_path, markdown + "\n")):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text)
        tmp.replace(path)
    return json_path, md_path


# ---------------------------------------------------------------------------------------------- workers
def peak_rss_mib() -> float:
    """Peak resident memory of this process in MiB.

    Reads VmHWM from /proc/self/status: ``getrusage``'s ru_maxrss survives ``exec`` on Linux, so a
    worker started from a large parent would report the parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_worker(args: Sequence[str], log_file: Path, result_file: Path, timeout: Optional[float] = None) -> dict:
    """Run ``python <args>`` in a fresh process (stdout/stderr -> log); return its JSON result.

    A failed worker gives ``{"error": ...}`` with the log's tail instead of raising.
    """
    result_file.unlink(missing_ok=True)
    started = time.perf_counter()
    with open(log_file, "w") as log:
        try:
            proc = subprocess.run([sys.executable, *args], stdout=log, stderr=subprocess.STDOUT,
                                  env=dict(os.environ), timeout=timeout)
            code = proc.returncode
        except subprocess.TimeoutExpired:
            code = "timeout"
    wall = time.perf_counter() - started
    if code == 0 and result_file.is_file():
        result = json.loads(result_file.read_text())
        result["process_wall_s"] = wall
        return result
    tail = log_file.read_text()[-2000:] if log_file.is_file() else ""
    return {"error": f"worker exit {code}; log {log_file}:\n{tail}", "process_wall_s": wall}
