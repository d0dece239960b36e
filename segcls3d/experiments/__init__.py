"""The experiment suite: the paper's synthetic experiments (Figure 5 a-g), summarizer comparison
(Figure 6) and semi-supervised comparison (Figure 7 / Table A8), one room per idea:

* :mod:`~segcls3d.experiments.plan`: suites, sweeps and methods as data -> datasets, jobs, runs, ``--dry-run``;
* :mod:`~segcls3d.experiments.run`: the one resumable runner (synth -> nnU-Net -> predict -> evaluate), its records;
* :mod:`~segcls3d.experiments.report`: records -> markdown tables with CIs and plots.

Example:
    >>> from segcls3d.experiments.plan import build_plan, describe_plan, get_suite
    >>> from segcls3d.experiments.run import run_plan
    >>> plan = build_plan(get_suite("cpu"), ["e"], [2], [0], Path("work_dirs/experiments"))  # doctest: +SKIP
    >>> print(describe_plan(plan))  # doctest: +SKIP
    >>> run_plan(plan)  # doctest: +SKIP
"""
