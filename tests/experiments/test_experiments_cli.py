"""`segcls3d experiment` (dry run, fake run) and `segcls3d report` from the command line; the _exp trainers."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from test_experiments_runner import fake  # noqa: F401 - the fixture with fake nnU-Net steps

from segcls3d.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def test_dry_run_prints_plan_and_estimate_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "exp"
    assert main(["experiment", "e", "--dim", "2", "--seeds", "0", "--dry-run", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "runs (metrics files): 10 - done 0, finished in a shared run 0, to do 10" in text
    assert "to do: 2 dataset preparations, 6 trainings, 0 summarizer fits, 8 test-set predictions" in text
    assert "estimated time to finish: 2D" in text and "0.12 s/it 3D" in text
    jobs = [line for line in text.splitlines() if "SegClsExp2D" in line]
    assert len(jobs) == 6 and "nnUNetTrainerMultitask_exp" in jobs[2] and "e=2.5" in jobs[0]
    assert not out.exists()


def test_dry_run_of_the_semisup_experiment(tmp_path, capsys):
    out = tmp_path / "exp"
    assert main(["experiment", "i", "--dim", "3", "--seeds", "0", "1", "--dry-run", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "experiments: i) semisup (Fig. 7)\ndimensions: 3D; seeds: 0 1" in text
    assert "runs (metrics files): 20 - done 0, finished in a shared run 0, to do 20" in text  # 2 x (4 + 4 + 2)
    # per seed: f = 0.1 and 0.25: Cls, SegCls (the teacher) and two students; f = 1: Cls and SegCls
    assert "to do: 2 dataset preparations, 20 trainings, 0 summarizer fits, 20 test-set predictions" in text
    jobs = [line for line in text.splitlines() if "SegClsExp3D" in line]
    assert len(jobs) == 20 and "nnUNetTrainerSegCls_exp__f0.1_boosted" in jobs[3] and not out.exists()
    assert main(["experiment", "semisup", "a", "--dim", "2", "--seeds", "0", "--dry-run", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "runs (metrics files): 20" in text and "experiments: a) training_size (Fig. 5a), i) semisup (Fig. 7)" in text
    shared = [line for line in text.splitlines() if "a=80 i=1 " in line]  # f = 1: the models of experiment a
    assert [line.split()[3] for line in shared] == ["nnUNetTrainerSegCls_exp", "nnUNetTrainerCls_exp"]


def test_user_errors_exit_2(tmp_path, capsys):
    assert main(["experiment", "z", "--dry-run", "--out", str(tmp_path)]) == 2
    assert "unknown experiment 'z'" in capsys.readouterr().err
    assert main(["report", "--runs", str(tmp_path), "-o", str(tmp_path / "docs")]) == 2


def test_fake_run_then_report(fake, tmp_path, capsys):  # noqa: F811
    out, docs = tmp_path / "exp", tmp_path / "docs"
    argv = ["experiment", "d", "--dim", "2", "--seeds", "0", "1", "--values", "0", "0.9", "--out", str(out),
            "--device", "cpu"]
    assert main(argv) == 0
    assert "20 runs: 0 done before, 20 written now, 0 failed" in capsys.readouterr().out
    assert main(argv + ["--dry-run"]) == 0
    assert "done 20" in capsys.readouterr().out
    assert main(["report", "--runs", str(out), "-o", str(docs)]) == 0
    md = (docs / "results.md").read_text()
    assert "## (d) size_bias, 2D" in md and "recall, small-target test slice" in md
    assert ("rule-based g: t=0.5, tau=25 voxels (2D: multitask_g, segcls_g); "
            "t=0.5, tau=10 voxels (2D: segcls_g_tau10)") in md
    assert (docs / "d_size_bias_2d.png").is_file()


def test_exp_trainers_skip_final_validation_without_npz():
    spec = importlib.util.spec_from_file_location("segcls_trainers", ROOT / "trainers" / "nnUNetTrainerSegCls.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from segcls3d.training.schedule import ScheduleMixin
    from segcls3d.training.schedules import EXP

    assert issubclass(module.nnUNetTrainerSegCls_exp, module.nnUNetTrainerSegCls)
    assert module.nnUNetTrainerSegCls_exp.schedule == EXP == (20, 40, 2)  # the cpu suite's '_exp' schedule
    assert module.nnUNetTrainerSegCls_exp.final_validation_needs_npz

    class Stock:
        def perform_actual_validation(self, save_probabilities: bool = False):
            self.validated = save_probabilities

    class Trainer(ScheduleMixin, Stock):
        final_validation_needs_npz = True
        validated = None

        def print_to_log_file(self, *args, **kwargs):
            self.logged = args

    trainer = Trainer.__new__(Trainer)  # no nnU-Net constructor: only the validation hook is tested
    trainer.perform_actual_validation(False)
    assert trainer.validated is None and "skipped" in trainer.logged[0]
    trainer.perform_actual_validation(True)
    assert trainer.validated is True
