"""`segcls3d transfer`: an encoder from one model as the starting point of another trainer's network."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from segcls3d.errors import ModelFolderError

DESCRIPTION = """\
Take the encoder of CKPT (a `segcls3d pretrain` checkpoint, or an nnU-Net checkpoint of any of our
models or of a stock U-Net: fold_X/checkpoint_final.pth), put it into the network TRAINER builds for
DATASET/PLANS/CONFIG (the rest as freshly initialised) and write that whole network to OUT.pth.
Then start training from it with stock nnU-Net:

  nnUNetv2_train DATASET CONFIG FOLD -tr TRAINER -p PLANS -pretrained_weights OUT.pth

Both models must use the same plans and configuration (same encoder); a mismatch names the first
differing weight. The checkpoint is read with torch.load(weights_only=True): no code in it runs."""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("transfer", help="encoder weights -> a full-network file for -pretrained_weights",
                              description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--encoder-from", required=True, type=Path, metavar="CKPT",
                   help="checkpoint holding the encoder (segcls3d pretrain or nnU-Net checkpoint_*.pth)")
    p.add_argument("-d", "--dataset", required=True, help="dataset name or id in nnUNet_preprocessed")
    p.add_argument("-c", "--configuration", required=True, help="nnU-Net configuration, e.g. 2d or 3d_fullres")
    p.add_argument("-p", "--plans", default="nnUNetPlans", help="plans identifier (default nnUNetPlans)")
    p.add_argument("-tr", "--trainer", required=True, help="trainer that will fine-tune, e.g. nnUNetTrainerCls")
    p.add_argument("-o", "--output", required=True, type=Path, help="file to write, e.g. init_cls.pth")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # torch and nnU-Net: imported here so that `segcls3d --help` stays fast (see cli.main)
    from segcls3d.model.encoder_weights import build_trainer_network, read_encoder_state, write_initial_weights
    from segcls3d.plans.presets import resolve_preprocessed_dataset

    folder = resolve_preprocessed_dataset(args.dataset)
    plans_file, dataset_file = folder / f"{args.plans}.json", folder / "dataset.json"
    for path in (plans_file, dataset_file):
        if not path.is_file():
            raise ModelFolderError(f"{path} not found: run nnUNetv2_plan_and_preprocess (and segcls3d plans) first")
    state = read_encoder_state(args.encoder_from)
    network = build_trainer_network(args.trainer, json.loads(plans_file.read_text()), args.configuration,
                                    json.loads(dataset_file.read_text()))
    out = write_initial_weights(state, network, args.output)
    print(f"wrote {out} ({len(state)} encoder tensors from {args.encoder_from}); train with:\n"
          f"  nnUNetv2_train {folder.name} {args.configuration} FOLD -tr {args.trainer} -p {args.plans} "
          f"-pretrained_weights {out}")
    return 0
