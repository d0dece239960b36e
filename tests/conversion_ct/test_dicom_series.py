"""DICOM series -> image: geometry against SimpleITK/GDCM, ordering, and refused broken series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from fake_ct_data import phantom, write_dicom_series
from pydicom.uid import JPEG2000Lossless, RLELossless

from segcls3d.conversion.ct.dicom_series import read_dicom_series
from segcls3d.conversion.ct.vertebrae import resample_to_reference
from segcls3d.errors import InputDataError

EXAMPLE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "totalseg_example"
if not EXAMPLE.is_dir():  # repository checked out elsewhere
    EXAMPLE = Path("/work/shared/data/totalseg_example")


def gdcm_read(folder: Path) -> sitk.Image:
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder)))
    return reader.Execute()


def assert_same_geometry(a: sitk.Image, b: sitk.Image) -> None:
    assert a.GetSize() == b.GetSize()
    np.testing.assert_allclose(a.GetSpacing(), b.GetSpacing(), atol=1e-6)
    np.testing.assert_allclose(a.GetOrigin(), b.GetOrigin(), atol=1e-5)
    np.testing.assert_allclose(a.GetDirection(), b.GetDirection(), atol=1e-6)


@pytest.mark.parametrize("row,col", [((1, 0, 0), (0, 1, 0)), ((1, 0, 0), (0, 0, -1)), ((0, 1, 0), (0, 0, -1))])
def test_geometry_matches_gdcm_reader(tmp_path, row, col):
    hu = phantom()
    write_dicom_series(tmp_path, hu, row_dir=row, col_dir=col, slope=0.5, intercept=-1000.0)
    series = read_dicom_series(tmp_path)
    reference = gdcm_read(tmp_path)
    assert_same_geometry(series.image, reference)
    assert series.image.GetSpacing() == pytest.approx((0.8, 0.7, 2.5))
    assert series.image.GetOrigin() == pytest.approx((-20.0, -30.0, 100.0))
    np.testing.assert_array_equal(sitk.GetArrayFromImage(series.image), hu)  # slope/intercept applied
    np.testing.assert_array_equal(sitk.GetArrayFromImage(reference), hu)
    assert series.instance_numbers == list(range(1, 13))


def test_order_comes_from_positions_not_names_or_instance_numbers(tmp_path):
    hu = phantom()
    names = [f"{name}.dcm" for name in np.random.default_rng(1).permutation([f"x{i:02d}" for i in range(12)])]
    paths = write_dicom_series(tmp_path, hu, names=names, row_dir=(1, 0, 0), col_dir=(0, 0, -1))
    for k, path in enumerate(paths):  # scramble InstanceNumber too
        ds = pydicom.dcmread(path)
        ds.InstanceNumber = int((k * 7) % 12) + 1
        ds.save_as(path)
    assert sorted(p.name for p in paths) != names
    series = read_dicom_series(tmp_path)
    np.testing.assert_array_equal(sitk.GetArrayFromImage(series.image), hu)
    assert [p.name for p in series.files] == names
    assert series.image.GetOrigin() == pytest.approx((-20.0, -30.0, 100.0))


@pytest.mark.parametrize("syntax", [RLELossless, JPEG2000Lossless])
def test_compressed_series(tmp_path, syntax):
    hu = phantom(shape=(3, 64, 64))
    write_dicom_series(tmp_path, hu, transfer_syntax=syntax)
    assert pydicom.dcmread(next(tmp_path.iterdir())).file_meta.TransferSyntaxUID == syntax
    np.testing.assert_array_equal(sitk.GetArrayFromImage(read_dicom_series(tmp_path).image), hu)


def test_missing_slice_is_refused(tmp_path):
    paths = write_dicom_series(tmp_path, phantom())
    paths[5].unlink()
    with pytest.raises(InputDataError, match=r"missing slice\(s\): gap of 5.000 mm between 5.dcm and 7.dcm .*1 slice"):
        read_dicom_series(tmp_path, name="study42")


def test_uneven_spacing_duplicates_tilt_and_mixed_sizes_are_refused(tmp_path):
    cases = {}
    for name in ("uneven", "duplicate", "tilt", "size", "orientation"):
        cases[name] = write_dicom_series(tmp_path / name, phantom())
    ds = pydicom.dcmread(cases["uneven"][4])
    ds.ImagePositionPatient = [-20.0, -30.0, 100.0 + 4 * 2.5 + 0.8]
    ds.save_as(cases["uneven"][4])
    ds = pydicom.dcmread(cases["duplicate"][4])
    ds.ImagePositionPatient = [-20.0, -30.0, 100.0 + 3 * 2.5]
    ds.save_as(cases["duplicate"][4])
    for k, path in enumerate(cases["tilt"]):
        ds = pydicom.dcmread(path)
        ds.ImagePositionPatient = [-20.0, -30.0 + 0.5 * k, 100.0 + 2.5 * k]
        ds.save_as(path)
    write_dicom_series(
        tmp_path / "size",
        phantom(shape=(1, 11, 9)),
        names=["1.dcm"],
        series_uid=pydicom.dcmread(cases["size"][1]).SeriesInstanceUID,
    )
    ds = pydicom.dcmread(cases["orientation"][2])
    ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 0.8, 0.6]
    ds.save_as(cases["orientation"][2])
    expected = {
        "uneven": "inconsistent slice spacing",
        "duplicate": "same slice position",
        "tilt": "gantry tilt",
        "size": "mixed slice sizes",
        "orientation": "mixed slice orientations",
    }
    for name, message in expected.items():
        with pytest.raises(InputDataError, match=message):
            read_dicom_series(tmp_path / name, name=name)


def test_corrupt_files_are_refused_with_their_name(tmp_path):
    paths = write_dicom_series(tmp_path / "truncated", phantom())
    data = paths[3].read_bytes()
    paths[3].write_bytes(data[: len(data) - 50])
    with pytest.raises(InputDataError, match="pixel data of 4.dcm cannot be decoded"):
        read_dicom_series(tmp_path / "truncated")
    paths = write_dicom_series(tmp_path / "header_only", phantom())
    data = paths[-1].read_bytes()
    paths[-1].write_bytes(data[: data.index(b"\xe0\x7f\x10\x00")])  # cut before the PixelData element
    with pytest.raises(InputDataError, match="file 12.dcm is an image slice without pixel data"):
        read_dicom_series(tmp_path / "header_only")
    paths = write_dicom_series(tmp_path / "garbage", phantom())
    paths[0].write_bytes(b"this is not dicom" * 10)
    with pytest.raises(InputDataError, match="file 1.dcm is not a DICOM file"):
        read_dicom_series(tmp_path / "garbage")
    paths = write_dicom_series(tmp_path / "two_series", phantom(shape=(2, 10, 9)))
    write_dicom_series(tmp_path / "two_series", phantom(shape=(2, 10, 9)), names=["a.dcm", "b.dcm"])
    with pytest.raises(InputDataError, match="mixes several series"):
        read_dicom_series(tmp_path / "two_series")
    with pytest.raises(InputDataError, match="not found"):
        read_dicom_series(tmp_path / "nowhere")


def test_real_jpeg2000_series_matches_gdcm_and_totalsegmentator_grid():
    folder = EXAMPLE / "example_ct_dicom"
    series = read_dicom_series(folder)
    reference = gdcm_read(folder)
    assert_same_geometry(series.image, reference)
    assert series.image.GetPixelID() == sitk.sitkInt16
    array = sitk.GetArrayFromImage(series.image)
    np.testing.assert_array_equal(array, sitk.GetArrayFromImage(reference))
    assert (array.min(), array.max()) == (-1024, 1839)
    assert series.image.GetSize() == (512, 512, 20)
    assert series.image.GetSpacing() == pytest.approx((0.9765625, 0.9765625, 2.0))
    # TotalSegmentator's output for this series is stored LAS: same voxel centres, y axis flipped
    seg = sitk.ReadImage(str(EXAMPLE / "example_seg_dicom.nii.gz"))
    corner = seg.TransformPhysicalPointToContinuousIndex(series.image.TransformIndexToPhysicalPoint((0, 0, 0)))
    assert corner == pytest.approx((0.0, 511.0, 0.0))
    on_ct = resample_to_reference(seg, series.image)
    np.testing.assert_array_equal(sitk.GetArrayFromImage(on_ct), sitk.GetArrayFromImage(seg)[:, ::-1, :])
    assert {32, 33} <= set(np.unique(sitk.GetArrayFromImage(on_ct)).tolist())  # T12, T11
