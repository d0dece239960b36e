"""`segcls3d pretrain`: self-supervised pretraining (DINO, CASS) of a plan's encoder without labels."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from segcls3d.errors import SegCls3dError

DESCRIPTION = """\
Pretrain the encoder of nnU-Net's network for DATASET/PLANS/CONFIG on every preprocessed image of the
dataset (labels unused), plus the images of --extra-images folders (unlabelled cases, imagesTs), with

  dino  student + EMA teacher on multi-crop views (2 global views of the patch size, --local-views smaller
        ones), nnU-Net's spatial and intensity augmentation; lightly's DINO loss, head and momentum update
  cass  the CNN encoder and a MONAI ViT trained to agree on the same view (loss 2 - 2 cos)

OUT (default $nnUNet_results/<dataset>/pretrain_<method>__<plans>__<config>) gets checkpoint_latest.pth
after every epoch (rerunning the same command resumes), checkpoint_final.pth (the encoder) and
pretrained_unet.pth (the plan's U-Net with that encoder). Fine-tune with stock nnU-Net:

  nnUNetv2_train DATASET CONFIG FOLD -tr nnUNetTrainerSegCls -p PLANS -pretrained_weights OUT/pretrained_unet.pth
  segcls3d transfer --encoder-from OUT/checkpoint_final.pth -d DATASET -c CONFIG -p PLANS \\
      -tr nnUNetTrainerCls -o cls_init.pth      (any other trainer's network; then -pretrained_weights cls_init.pth)

Several GPUs: torchrun --nproc_per_node=N $(which segcls3d) pretrain ... (one process per GPU)."""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("pretrain", help="self-supervised pretraining of the encoder (DINO, CASS)",
                              description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-d", "--dataset", required=True, help="dataset name or id in nnUNet_preprocessed")
    p.add_argument("-c", "--configuration", required=True, help="nnU-Net configuration, e.g. 2d or 3d_fullres")
    p.add_argument("-p", "--plans", default="nnUNetPlans", help="plans identifier (default nnUNetPlans)")
    p.add_argument("--method", required=True, choices=("dino", "cass"))
    p.add_argument("--epochs", type=_positive_int, default=100, help="epochs (default 100, as in S4MI)")
    p.add_argument("--iterations", type=_positive_int, default=250, help="iterations per epoch (default 250)")
    p.add_argument("--batch-size", type=_positive_int, default=None, help="per process (default: the plan's)")
    p.add_argument("--lr", type=float, default=None, help="peak learning rate (default: dino 5e-4, cass 3.6e-4)")
    p.add_argument("--extra-images", type=Path, nargs="+", default=(), metavar="FOLDER",
                   help="also pretrain on these image folders (<case>_0000<ending>), e.g. unlabelled or imagesTs")
    p.add_argument("--local-views", type=int, default=6, help="DINO: local views per image (default 6)")
    p.add_argument("--out-dim", type=_positive_int, default=65536, help="DINO: prototypes (default 65536)")
    p.add_argument("--transformer-size", choices=("tiny", "small", "base"), default="small",
                   help="CASS: MONAI ViT size (default small: 384 wide, 12 layers)")
    p.add_argument("--seed", type=int, default=12345)
    p.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")
    p.add_argument("-o", "--output", type=Path, default=None, help="output folder (default under nnUNet_results)")
    p.add_argument("--overwrite", action="store_true", help="discard a run with other settings in the output folder")
    p.set_defaults(func=run)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def run(args: argparse.Namespace) -> int:
    # torch, lightly, MONAI and nnU-Net: imported here so that `segcls3d --help` stays fast (see cli.main)
    from segcls3d.plans.presets import resolve_preprocessed_dataset
    from segcls3d.training.pretrain.run import pretrain
    from segcls3d.training.pretrain.settings import PretrainSettings

    folder = resolve_preprocessed_dataset(args.dataset)
    out = args.output
    if out is None:
        if not os.environ.get("nnUNet_results"):
            raise SegCls3dError("nnUNet_results is not set: set it or pass -o OUT")
        out = Path(os.environ["nnUNet_results"]) / folder.name / \
            f"pretrain_{args.method}__{args.plans}__{args.configuration}"
    settings = PretrainSettings(method=args.method, epochs=args.epochs, iterations=args.iterations,
                                batch_size=args.batch_size, learning_rate=args.lr, local_views=args.local_views,
                                out_dim=args.out_dim, transformer_size=args.transformer_size, seed=args.seed)
    result = pretrain(folder, args.plans, args.configuration, settings, out, args.extra_images, args.device,
                      args.overwrite)
    if result is None:  # not the main process of a distributed run
        return 0
    print(f"{out}: {args.method} pretraining done ({result.seconds:.0f} s; loss {result.losses[0]:.4f} -> "
          f"{result.losses[-1]:.4f})\n  encoder: {result.checkpoint}\n  U-Net for -pretrained_weights: "
          f"{result.pretrained_unet}")
    for case, reason in result.failed_extra:
        print(f"  extra image {case} skipped: {reason}")
    return 1 if result.failed_extra else 0
