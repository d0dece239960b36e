"""`segcls3d pseudolabel`: partially supervised and pseudo-labelled nnU-Net raw datasets."""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

DESCRIPTION = """\
Write a new nnU-Net raw dataset for training with more images than masks. A training case has
no mask when imagesTr has its image but labelsTr has no <case> file; its class labels come from
classification_labels.csv (empty = unknown).

  partial  no teacher: negatives without a mask get an all-background mask; positives (and
           unknown) without a mask are excluded (--positives exclude) or get nnU-Net's ignore
           label everywhere (--positives ignore; what nnUNetTrainerMeanTeacher/CrossTeach use
           as unlabeled cases).
  plain    teacher masks for every case without a mask and for --images (Setting 1).
  boosted  as plain, then class labels fix them: negatives -> empty mask, positives whose pseudo
           mask is empty -> excluded, unknown -> teacher mask (Setting 2).
  soft     as plain, plus the teacher's probabilities at temperature --temperature saved in
           softTargetsTr/ for nnUNetTrainerSoftTargets.

Then: nnUNetv2_plan_and_preprocess -d ID, nnUNetv2_train ID CONFIG FOLD -tr <trainer>.
Every run writes pseudolabel_log.csv (case_id, mode, action, voxels, reason); rerunning the same
command resumes."""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("pseudolabel", help="partial supervision and pseudo-labelled datasets",
                              description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    modes = p.add_subparsers(dest="mode", metavar="MODE", required=True)
    partial = modes.add_parser("partial", help="all-background / ignore masks from class labels (no teacher)")
    _common(partial)
    partial.add_argument("--positives", choices=("exclude", "ignore"), default="exclude",
                         help="positive/unknown cases without a mask: exclude them, or ignore label everywhere "
                              "(default exclude)")
    for mode, text in (("plain", "teacher masks as targets"), ("boosted", "teacher masks fixed by class labels"),
                       ("soft", "teacher masks + tempered probabilities (distillation)")):
        sub = modes.add_parser(mode, help=text)
        _common(sub)
        sub.add_argument("--teacher", required=True, type=Path,
                         help="trained model folder <trainer>__<plans>__<configuration>")
        sub.add_argument("--images", type=Path, help="extra images to pseudo-label (<case>_0000<ending>)")
        sub.add_argument("--labels", type=Path, help="classification_labels.csv for the --images cases")
        sub.add_argument("-f", "--folds", nargs="+", default=None, help="teacher folds (default: all available)")
        sub.add_argument("-chk", "--checkpoint", default="checkpoint_final.pth", help="teacher checkpoint file name")
        sub.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")
        sub.add_argument("--disable-tta", action="store_true", help="no mirroring test-time augmentation")
        sub.add_argument("--step-size", type=float, default=0.5, help="sliding-window step size (default 0.5)")
        if mode == "soft":
            sub.add_argument("--temperature", type=float, default=10.0, help="tau of the soft targets (default 10)")
    p.set_defaults(func=run)


def _common(sub) -> None:
    sub.add_argument("--raw", required=True, type=Path, help="input raw dataset (labelsTr may be incomplete)")
    sub.add_argument("-o", "--output", required=True, type=Path,
                     help="new raw dataset folder, e.g. $nnUNet_raw/Dataset702_Name")
    sub.add_argument("--overwrite", action="store_true", help="replace a run made with other parameters in -o")


def run(args: argparse.Namespace) -> int:
    # torch and nnU-Net: imported here so that `segcls3d --help` stays fast (see cli.main)
    if args.mode == "partial":
        from segcls3d.pseudolabels.partial import write_partial_dataset

        records = write_partial_dataset(args.raw, args.output, args.positives, args.overwrite)
    else:
        from segcls3d.model.loading import load_model
        from segcls3d.pseudolabels.pseudolabel import write_pseudolabel_dataset

        folds = [f if f == "all" else int(f) for f in args.folds] if args.folds else None
        teacher = load_model(args.teacher, folds, args.checkpoint, args.device, not args.disable_tta, args.step_size)
        records = write_pseudolabel_dataset(args.mode, teacher, args.raw, args.output, args.images, args.labels,
                                            getattr(args, "temperature", 10.0), args.overwrite)
    counts = Counter(r.action for r in records)
    print(f"{args.output}: " + ", ".join(f"{n} {action}" for action, n in sorted(counts.items())))
    failed = [r for r in records if r.action == "failed"]
    if failed:
        print(f"{len(failed)} case(s) failed (rerun to retry):", file=sys.stderr)
        for r in failed:
            print(f"  {r.case_id}: {r.reason}", file=sys.stderr)
        return 1
    return 0
