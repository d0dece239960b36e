from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from fake_inputs_2d import gradient, write_dicom, write_jpeg, write_png

from segcls3d.conversion.images2d.mask_io import MaskFiles, read_mask_2d
from segcls3d.conversion.images2d.reading import read_image_2d
from segcls3d.conversion.images2d.single_slice import single_slice_channels, single_slice_mask
from segcls3d.errors import InputDataError

SHAPE = (6, 9)  # H, W: non-square so that a transposition would show


def test_gray_png_keeps_pixels_and_default_spacing(tmp_path):
    pixels = gradient(SHAPE).astype(np.uint8)
    image = read_image_2d(write_png(tmp_path / "g.png", pixels))
    assert image.array.dtype == np.uint8 and np.array_equal(image.array, pixels)
    assert image.spacing == (1.0, 1.0) and image.num_channels == 1


def test_sixteen_bit_png(tmp_path):
    pixels = gradient(SHAPE, scale=300).astype(np.uint16)
    image = read_image_2d(write_png(tmp_path / "g16.png", pixels))
    assert image.array.max() == pixels.max() and np.array_equal(image.array.astype(np.uint16), pixels)


def test_rgb_rules(tmp_path):
    gray = gradient(SHAPE).astype(np.uint8)
    colour = np.stack([gray, 255 - gray, gray // 2], axis=2)
    equal = np.stack([gray] * 3, axis=2)
    rgba = np.concatenate([colour, np.full(SHAPE + (1,), 7, np.uint8)], axis=2)

    assert read_image_2d(write_png(tmp_path / "equal.png", equal)).array.shape == SHAPE  # auto -> gray
    assert np.array_equal(read_image_2d(tmp_path / "equal.png").array, gray)
    assert read_image_2d(write_png(tmp_path / "c.png", colour)).array.shape == SHAPE + (3,)
    assert np.array_equal(read_image_2d(write_png(tmp_path / "a.png", rgba, mode="RGBA")).array, colour)
    assert read_image_2d(tmp_path / "equal.png", channels="rgb").array.shape == SHAPE + (3,)
    luma = read_image_2d(tmp_path / "c.png", channels="gray").array
    expected = np.rint(colour.astype(float) @ [0.299, 0.587, 0.114]).astype(np.uint8)
    assert np.array_equal(luma, expected)


def test_jpeg_colour(tmp_path):
    colour = np.zeros(SHAPE + (3,), np.uint8)
    colour[..., 0] = 200
    image = read_image_2d(write_jpeg(tmp_path / "c.jpg", colour), channels="rgb")
    assert image.array.shape == SHAPE + (3,)
    assert abs(int(image.array[..., 0].mean()) - 200) < 5 and image.array[..., 2].mean() < 10


def test_dicom_rescale_and_pixel_spacing(tmp_path):
    stored = gradient(SHAPE, scale=10).astype(np.uint16)
    path = write_dicom(tmp_path / "ct.dcm", stored, slope=1, intercept=-1024, pixel_spacing=(0.5, 0.25))
    image = read_image_2d(path)
    assert image.array.dtype == np.int16
    assert np.array_equal(image.array, stored.astype(np.int32) - 1024)
    assert image.spacing == (0.5, 0.25)


def test_dicom_float_rescale_and_imager_spacing(tmp_path):
    stored = gradient(SHAPE).astype(np.uint16)
    image = read_image_2d(write_dicom(tmp_path / "x.dcm", stored, slope=0.5, intercept=1, imager_spacing=(0.2, 0.2)))
    assert image.array.dtype == np.float32
    assert np.allclose(image.array, stored * 0.5 + 1)
    assert image.spacing == (0.2, 0.2)


def test_dicom_monochrome1_is_inverted_over_the_stored_range(tmp_path):
    stored = gradient(SHAPE).astype(np.uint16)
    image = read_image_2d(write_dicom(tmp_path / "m1.dcm", stored, photometric="MONOCHROME1", bits_stored=12))
    assert np.array_equal(image.array.astype(np.int64), 4095 - stored.astype(np.int64))
    assert image.spacing == (1.0, 1.0)


def test_single_slice_nifti_keeps_in_plane_spacing(tmp_path):
    pixels = gradient(SHAPE).astype(np.int16)
    volume = sitk.GetImageFromArray(pixels[None])
    volume.SetSpacing((0.7, 0.9, 2.5))  # x (columns), y (rows), z
    sitk.WriteImage(volume, str(tmp_path / "s.nii.gz"))
    image = read_image_2d(tmp_path / "s.nii.gz")
    assert np.array_equal(image.array, pixels)
    assert image.spacing == pytest.approx((0.9, 0.7))


def test_multi_slice_volume_and_broken_files_are_input_errors(tmp_path):
    sitk.WriteImage(sitk.GetImageFromArray(np.zeros((3, 4, 5), np.int16)), str(tmp_path / "v.nii.gz"))
    with pytest.raises(InputDataError, match="expected one slice"):
        read_image_2d(tmp_path / "v.nii.gz")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(InputDataError, match="broken.png"):
        read_image_2d(tmp_path / "broken.png")
    (tmp_path / "broken.dcm").write_bytes(b"DICM" * 10)
    with pytest.raises(InputDataError, match="broken.dcm"):
        read_image_2d(tmp_path / "broken.dcm")
    with pytest.raises(InputDataError, match="not found"):
        read_image_2d(tmp_path / "missing.png")


def test_single_slice_geometry_rgb_and_mask():
    colour = np.stack([gradient(SHAPE)] * 3, axis=2).astype(np.uint8)
    colour[..., 1] += 1
    volumes = single_slice_channels(colour, (0.5, 0.25))
    assert len(volumes) == 3
    for k, volume in enumerate(volumes):
        array = sitk.GetArrayFromImage(volume)
        assert array.shape == (1,) + SHAPE
        assert np.array_equal(array[0], colour[..., k])
        assert volume.GetSpacing() == (0.25, 0.5, 999.0)
        assert max(volume.GetSpacing()) == volume.GetSpacing()[2]
    mask = single_slice_mask(np.eye(*SHAPE, dtype=np.int64), SHAPE, (0.5, 0.25), "c1")
    assert mask.GetPixelID() == sitk.sitkUInt8 and mask.GetSpacing() == volumes[0].GetSpacing()
    with pytest.raises(InputDataError, match="case c1: mask size \\(9, 6\\)"):
        single_slice_mask(np.zeros(SHAPE[::-1], np.uint8), SHAPE, (1, 1), "c1")


def test_mask_files_binary_merge_and_label_check(tmp_path):
    left = np.zeros(SHAPE, np.uint8)
    left[:, :3] = 255
    right = np.zeros(SHAPE, np.uint8)
    right[:, 6:] = 255
    paths = (str(write_png(tmp_path / "l.png", left)), str(write_png(tmp_path / "r.png", right)))
    merged = MaskFiles(paths).load(SHAPE, "lungs")
    assert merged.sum() == 6 * 6 and set(np.unique(merged)) == {0, 1}
    with pytest.raises(InputDataError, match="case lungs: mask value\\(s\\) \\[255\\]"):
        MaskFiles(paths[:1], binary=False, max_label=2).load(SHAPE, "lungs")
    with pytest.raises(InputDataError, match="case lungs: mask .* size \\(6, 9\\)"):
        MaskFiles(paths[:1]).load((9, 6), "lungs")
    assert read_mask_2d(paths[0], "x", binary=True, value=3).max() == 3
