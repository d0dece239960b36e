"""`segcls3d saliency`: Grad-CAM, Grad-CAM++ or input-gradient maps per class, as NIfTI on the input's grid."""
from __future__ import annotations

import argparse
import sys

from segcls3d.cli.predict import fold

METHODS = ("gradcam", "gradcampp", "input_gradient")  # segcls3d.model.saliency.compute.METHODS (not imported: slow)
DESCRIPTION = """\
Saliency maps of a trained model for every case of -i (files <case>_0000.nii.gz, or one file per
case for single-channel models), one map per class: OUT/<class>/<case>.nii.gz (float32, >= 0, on
the input image's grid: same shape, spacing, origin, direction) and OUT/saliency.csv (each class's
score and the maximum of its map per case).

What is explained: the class logit of an nnUNetTrainerCls model, the head logit of an
nnUNetTrainerMultitask model, and for segmentation models (nnUNetTrainerSegCls, plain nnU-Net) the
class logit summed over the image. Maps are not normalised (MONAI's default postprocessing, which
inverts and rescales each map, is not used): divide by the maximum to compare shapes.

  gradcam         Grad-CAM at --layer (MONAI GradCAM)
  gradcampp       Grad-CAM++ at --layer (MONAI GradCAMpp)
  input_gradient  max over channels of |d score / d image|

--layer names a module of the network; the default is the deepest encoder stage
(encoder.stages.<last>); hook whole stages, not single conv/norm layers (nnU-Net's in-place
LeakyReLU breaks hooks there). Maps are averaged over the folds; rerunning the command resumes."""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("saliency", help="Grad-CAM / Grad-CAM++ / input-gradient maps per class (NIfTI)",
                              description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-i", "--input", required=True, help="folder with input images")
    p.add_argument("-o", "--output", required=True, help="output folder (OUT/<class>/<case>.nii.gz)")
    p.add_argument("-m", "--model", required=True, help="trained model folder <trainer>__<plans>__<configuration>")
    p.add_argument("-f", "--folds", nargs="+", type=fold, default=None,
                   help="folds to average (default: all available)")
    p.add_argument("-chk", "--checkpoint", default="checkpoint_final.pth", help="checkpoint file name")
    p.add_argument("--method", choices=METHODS, default="gradcam", help="saliency method (default gradcam)")
    p.add_argument("--layer", default=None, help="target layer of the CAM methods (default: deepest encoder stage)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (default: auto)")
    p.add_argument("--overwrite", action="store_true", help="replace maps of other settings in -o")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # torch, MONAI and nnU-Net: imported here so that `segcls3d --help` stays fast (see cli.main)
    from segcls3d.model.loading import load_model
    from segcls3d.predict.input_checks import check_cases, read_model_spec
    from segcls3d.predict.saliency_case import SaliencyPredictor
    from segcls3d.predict.saliency_run import saliency_folder

    cases, problems = check_cases(args.input, read_model_spec(args.model))  # before the model loads
    if cases:
        model = load_model(args.model, args.folds, args.checkpoint, args.device, use_mirroring=False)
        report = saliency_folder(SaliencyPredictor(model, args.method, args.layer), cases, args.output,
                                 overwrite=args.overwrite)
        problems = {**problems, **report.failures}
        print(f"saliency ({args.method}): {len(report.computed)} case(s) computed, {len(report.skipped)} kept -> "
              f"{args.output}/<class>/<case>.nii.gz for {', '.join(report.class_names)}")
    for case, reason in sorted(problems.items()):
        print(f"  {case}: {reason}", file=sys.stderr)
    return 1 if problems else 0
