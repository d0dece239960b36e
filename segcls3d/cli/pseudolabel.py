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
           as unlabeled cases). --negatives ignore: negatives without a mask get the ignore
           label too (class-label-only cases for nnUNetTrainerMultiMix).
  plain    teacher masks for every case without a mask and for --images (Setting 1).
  boosted  as plain, then class labels fix them: negatives -> empty mask, positives whose pseudo
           mask is empty -> excluded, unknown -> teacher mask (Setting 2).
  soft     as plain, plus the teacher's probabilities at temperature --temperature saved in
           softTargetsTr/ for nnUNetTrainerSoftTargets.
  cam      CheXseg: weak masks from --classifier's saliency maps for the cases without a mask
           (threshold per class maximising IoU on the cases with a mask, else Otsu; negatives
           empty; --cutoff empties maps with a low maximum); cases with a mask stay expert.
           For nnUNetTrainerCheXseg (dataset.json records expert_cases / weak_cases).
  glam     masks from class labels alone: a --teacher trained with nnUNetTrainerGLAM draws its
           saliency map thresholded at --threshold for the cases without a mask; negatives ->
           empty mask, positives without a voxel above it -> excluded, as in boosted.

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
    partial.add_argument("--negatives", choices=("background", "ignore"), default="background",
                         help="negative cases without a mask: all-background mask, or ignore label everywhere "
                              "(class label only; default background)")
    for mode, text in (("plain", "teacher masks as targets"), ("boosted", "teacher masks fixed by class labels"),
                       ("soft", "teacher masks + tempered probabilities (distillation)"),
                       ("glam", "GLAM saliency masks fixed by class labels (nnUNetTrainerGLAM teacher)")):
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
        if mode == "glam":
            sub.add_argument("--threshold", type=float, default=0.5,
                             help="map value above which a voxel is in the mask (default 0.5, predict's mask)")
    cam = modes.add_parser("cam", help="CheXseg: expert masks + weak masks from a classifier's saliency maps")
    _common(cam)
    cam.add_argument("--classifier", required=True, type=Path,
                     help="trained model folder (nnUNetTrainerCls, Multitask or a segmentation model)")
    cam.add_argument("--method", choices=("gradcam", "gradcampp", "input_gradient"), default="gradcam",
                     help="saliency method (default gradcam)")
    cam.add_argument("--layer", default=None, help="target layer (default: the deepest encoder stage)")
    cam.add_argument("--cutoff", type=float, default=None,
                     help="a map whose maximum is below this gives an empty mask (see saliency.csv; default none)")
    cam.add_argument("-f", "--folds", nargs="+", default=None, help="classifier folds (default: all available)")
    cam.add_argument("-chk", "--checkpoint", default="checkpoint_final.pth", help="checkpoint file name")
    cam.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")
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

        records = write_partial_dataset(args.raw, args.output, args.positives, args.overwrite,
                                        negatives=args.negatives)
    elif args.mode == "cam":
        from segcls3d.model.loading import load_model
        from segcls3d.pseudolabels.cam import write_cam_dataset

        folds = [f if f == "all" else int(f) for f in args.folds] if args.folds else None
        classifier = load_model(args.classifier, folds, args.checkpoint, args.device, use_mirroring=False)
        records = write_cam_dataset(classifier, args.raw, args.output, args.method, args.layer, args.cutoff,
                                    args.overwrite)
    else:
        from segcls3d.model.loading import load_model
        from segcls3d.pseudolabels.pseudolabel import write_pseudolabel_dataset

        folds = [f if f == "all" else int(f) for f in args.folds] if args.folds else None
        teacher = load_model(args.teacher, folds, args.checkpoint, args.device, not args.disable_tta, args.step_size)
        if args.mode == "glam":
            from segcls3d.pseudolabels.glam import write_glam_dataset

            records = write_glam_dataset(teacher, args.raw, args.output, args.images, args.labels, args.threshold,
                                         args.overwrite)
        else:
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
