"""Text of ``segcls3d experiment --dry-run``: what would run, what is done, how long the rest takes."""
from __future__ import annotations

from collections import Counter, defaultdict

from segcls3d.experiments.budget import format_duration
from segcls3d.experiments.plan import Plan
from segcls3d.experiments.status import Estimate, estimate_plan, target_state
from segcls3d.experiments.sweeps import value_label


def describe_plan(plan: Plan, estimate: Estimate | None = None, list_jobs: bool = True) -> str:
    """Header (counts, schedule, cost model, estimate) and one line per training job."""
    estimate = estimate or estimate_plan(plan)
    suite, schedule, cost = plan.suite, plan.suite.schedule, plan.suite.cost
    states = Counter(target_state(plan, t) for t in plan.targets)
    ids = sorted(plan.dataset_id(k) for k in plan.datasets)
    n_trainings = sum(len(j.folds) for j in plan.jobs.values())
    dims = sorted({d.dim for d in plan.datasets.values()})
    seeds = sorted({d.seed for d in plan.datasets.values()})
    lines = [
        f"experiment plan: configuration '{suite.name}', output {plan.out}",
        "experiments: " + ", ".join(f"{s.letter}) {s.name} (Fig. {s.figure})" for s in plan.sweeps.values()),
        f"dimensions: {', '.join(f'{d}D' for d in dims)}; seeds: {' '.join(map(str, seeds))}",
        f"runs (metrics files): {len(plan.targets)} - done {states['done']}, finished in a shared run "
        f"{states['cached']}, to do {states['todo']}",
        f"datasets: {len(plan.datasets)} (nnU-Net ids {ids[0] if ids else '-'}..{ids[-1] if ids else '-'}, "
        f"recorded in {plan.registry.path or 'memory'}); training runs: {n_trainings} "
        f"({len(plan.jobs)} jobs x folds)",
        f"schedule: {schedule.trainer('<SegCls|Cls|Multitask>')} = {schedule.epochs} epochs x "
        f"{schedule.iterations} iterations; plans {plan.plans_name}; test-time mirroring "
        f"{'on' if suite.test_mirroring else 'off'}",
        f"cost model: {cost.seconds_per_iteration[2]:g} s/it 2D, {cost.seconds_per_iteration[3]:g} s/it 3D, "
        f"{cost.train_startup_s:g} s per nnUNetv2_train start, {cost.predict_s_per_case[2]:g}/"
        f"{cost.predict_s_per_case[3]:g} s per test case 2D/3D ({cost.note})",
        f"to do: {estimate.n_datasets} dataset preparations, {estimate.n_trainings} trainings, "
        f"{estimate.n_fits} summarizer fits, {estimate.n_predictions} test-set predictions",
        "estimated time to finish: " + ", ".join(f"{d}D {format_duration(s)}" for d, s in
                                                 sorted(estimate.per_dim_s.items())) +
        f"; total {format_duration(estimate.total_s)}",
    ]
    if list_jobs:
        lines += ["", _job_table(plan, estimate)]
    return "\n".join(lines)


def _job_table(plan: Plan, estimate: Estimate) -> str:
    uses: dict[str, list[str]] = defaultdict(list)
    state: dict[str, Counter] = defaultdict(Counter)
    for t in plan.targets:
        label = f"{plan.sweeps[t.experiment].letter}={value_label(t.value)}"
        if label not in uses[t.job_key]:
            uses[t.job_key].append(label)
        state[t.job_key][target_state(plan, t)] += 1
    header = f"{'dim':<4}{'seed':<5}{'dataset':<26}{'trainer':<30}{'folds':<6}{'used by (experiment=value)':<34}" \
             f"{'runs todo/all':<15}{'est.':>8}"
    rows = [header, "-" * len(header)]
    for job in plan.jobs.values():
        dataset = plan.datasets[job.dataset_key]
        counts = state[job.key]
        rows.append(f"{dataset.dim}D  {dataset.seed:<5}{plan.dataset_name(job.dataset_key):<26}{job.trainer:<30}"
                    f"{len(job.folds):<6}{' '.join(uses[job.key]):<34}"
                    f"{counts['todo']}/{sum(counts.values()):<13}{format_duration(estimate.per_job_s[job.key]):>8}")
    return "\n".join(rows)
