"""A plans configuration as nnU-Net writes it (PlainConvUNet, cpu_tiny sizes), with GLAM settings stored."""
from __future__ import annotations

from nnunetv2.utilities.plans_handling.plans_handler import ConfigurationManager

from segcls3d.model.glam import GLAMConfig, store_glam_config
from segcls3d.model.plans_classes import store_classes

DATASET_JSON = {"channel_names": {"0": "img"}, "labels": {"background": 0, "target": 1}, "numTraining": 4,
                "file_ending": ".nii.gz"}


def plans(dim: int, patch: tuple[int, ...]) -> dict:
    conv = "Conv2d" if dim == 2 else "Conv3d"
    norm = "InstanceNorm2d" if dim == 2 else "InstanceNorm3d"
    arch = {
        "n_stages": 4, "features_per_stage": [8, 16, 32, 64], "conv_op": f"torch.nn.modules.conv.{conv}",
        "kernel_sizes": [[3] * dim] * 4, "strides": [[1] * dim] + [[2] * dim] * 3, "n_conv_per_stage": [1] * 4,
        "n_conv_per_stage_decoder": [1] * 3, "conv_bias": True,
        "norm_op": f"torch.nn.modules.instancenorm.{norm}", "norm_op_kwargs": {"eps": 1e-5, "affine": True},
        "dropout_op": None, "dropout_op_kwargs": None, "nonlin": "torch.nn.LeakyReLU",
        "nonlin_kwargs": {"inplace": True},
    }
    configuration = {
        "data_identifier": "x", "preprocessor_name": "DefaultPreprocessor", "batch_size": 2,
        "patch_size": list(patch), "median_image_size_in_voxels": list(patch), "spacing": [1.0] * dim,
        "normalization_schemes": ["ZScoreNormalization"], "use_mask_for_norm": [False],
        "resampling_fn_data": "resample_data_or_seg_to_shape", "resampling_fn_seg": "resample_data_or_seg_to_shape",
        "resampling_fn_data_kwargs": {}, "resampling_fn_seg_kwargs": {}, "resampling_fn_probabilities":
            "resample_data_or_seg_to_shape", "resampling_fn_probabilities_kwargs": {},
        "architecture": {"network_class_name": "dynamic_network_architectures.architectures.unet.PlainConvUNet",
                         "arch_kwargs": arch, "_kw_requires_import": ["conv_op", "norm_op", "dropout_op", "nonlin"]},
        "batch_dice": True,
    }
    return {"dataset_name": "Dataset975_GlamFake", "plans_name": "p", "original_median_spacing_after_transp": [1.0] * 3,
            "original_median_shape_after_transp": [1, 48, 48], "image_reader_writer": "SimpleITKIO",
            "transpose_forward": [0, 1, 2], "transpose_backward": [0, 1, 2], "configurations": {"c": configuration},
            "experiment_planner_used": "x", "label_manager": "LabelManager",
            "foreground_intensity_properties_per_channel": {}}


def configuration_manager(dim: int = 2, patch: tuple[int, ...] = (48, 48), config: GLAMConfig = GLAMConfig(),
                          dataset_json: dict = DATASET_JSON) -> ConfigurationManager:
    p = store_glam_config(store_classes(plans(dim, patch), "c", dataset_json), "c", dataset_json, config)
    return ConfigurationManager(p["configurations"]["c"])
