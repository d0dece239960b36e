"""inspect_nifti: real files cut short (50%, 95%, trailer only), corrupt, not NIfTI; NIfTI-2, big-endian, .nii."""
from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from segcls3d.errors import InputDataError
from segcls3d.predict.nifti_check import inspect_nifti

IMAGES = Path(__file__).resolve().parents[1] / "data" / "old_checkpoints" / "imagesTs"
REAL = IMAGES / "synth_test_0000_0000.nii.gz"
REAL_BYTES = 352 + 24 ** 3 * 4  # float32 24^3 after a 352-byte header


def _cut(tmp_path: Path, source: Path, fraction: float, name: str = "cut_0000.nii.gz") -> Path:
    data = source.read_bytes()
    target = tmp_path / name
    target.write_bytes(data[: int(len(data) * fraction)])
    return target


def test_complete_real_file():
    info = inspect_nifti(REAL)
    assert info.shape == (24, 24, 24) and not info.integer and info.value_range is None


@pytest.mark.parametrize("fraction", [0.5, 0.95])
def test_truncated_gzip_is_reported_with_byte_counts(tmp_path, fraction):
    with pytest.raises(InputDataError, match=rf"file truncated: \d+ of {REAL_BYTES} bytes") as info:
        inspect_nifti(_cut(tmp_path, REAL, fraction))
    received = int(str(info.value).split()[2])
    assert 0 < received < REAL_BYTES


def test_missing_gzip_trailer_is_truncation(tmp_path):
    """All voxels present but the stream has no end marker/CRC: cut, even if SimpleITK reads it."""
    data = REAL.read_bytes()
    (tmp_path / "x.nii.gz").write_bytes(data[:-4])
    with pytest.raises(InputDataError, match="gzip stream ends after .* end-of-stream marker"):
        inspect_nifti(tmp_path / "x.nii.gz")


def test_corrupt_and_foreign_files(tmp_path):
    data = bytearray(REAL.read_bytes())
    data[len(data) // 2: len(data) // 2 + 64] = bytes(64)
    (tmp_path / "corrupt.nii.gz").write_bytes(bytes(data))
    with pytest.raises(InputDataError, match="corrupt gzip data"):
        inspect_nifti(tmp_path / "corrupt.nii.gz")
    (tmp_path / "text.nii.gz").write_bytes(gzip.compress(b"this is not a nifti file" * 30))
    with pytest.raises(InputDataError, match="not a NIfTI file"):
        inspect_nifti(tmp_path / "text.nii.gz")
    (tmp_path / "short.nii.gz").write_bytes(gzip.compress(b"tiny"))
    with pytest.raises(InputDataError, match="not a NIfTI file"):
        inspect_nifti(tmp_path / "short.nii.gz")
    (tmp_path / "plain.nii.gz").write_bytes(b"this is not a nifti file")
    with pytest.raises(InputDataError, match=r"not a NIfTI file \(only 24 bytes"):
        inspect_nifti(tmp_path / "plain.nii.gz")
    (tmp_path / "empty.nii.gz").write_bytes(b"")
    with pytest.raises(InputDataError, match="not a NIfTI file"):
        inspect_nifti(tmp_path / "empty.nii.gz")
    (tmp_path / "empty_member.nii.gz").write_bytes(REAL.read_bytes()[:10])
    with pytest.raises(InputDataError, match="file truncated: 0 bytes, less than a NIfTI header"):
        inspect_nifti(tmp_path / "empty_member.nii.gz")


def test_uncompressed_data_named_nii_gz_is_read(tmp_path):
    """ITK reads an uncompressed file named .nii.gz, so it is no problem here either."""
    (tmp_path / "x.nii.gz").write_bytes(gzip.decompress(REAL.read_bytes()))
    assert inspect_nifti(tmp_path / "x.nii.gz").shape == (24, 24, 24)


def test_uncompressed_nii_truncated(tmp_path):
    raw = gzip.decompress(REAL.read_bytes())
    (tmp_path / "full.nii").write_bytes(raw)
    assert inspect_nifti(tmp_path / "full.nii").shape == (24, 24, 24)
    (tmp_path / "cut.nii").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(InputDataError, match=f"file truncated: {len(raw) // 2} of {REAL_BYTES} bytes"):
        inspect_nifti(tmp_path / "cut.nii")


def _nifti(version: int, shape: tuple[int, ...], values: np.ndarray, endian: str = "<") -> bytes:
    """A minimal single-file NIfTI-1/2 image (uint8/int16 data) written by hand."""
    dtype_code = {np.dtype(np.uint8): 2, np.dtype(np.int16): 4}[values.dtype]
    dim = (len(shape), *shape, *[1] * (7 - len(shape)))
    if version == 1:
        header = bytearray(352)
        struct.pack_into(f"{endian}i", header, 0, 348)
        struct.pack_into(f"{endian}8h", header, 40, *dim)
        struct.pack_into(f"{endian}2h", header, 70, dtype_code, values.dtype.itemsize * 8)
        struct.pack_into(f"{endian}3f", header, 108, 352.0, 1.0, 0.0)
        header[344:348] = b"n+1\0"
    else:
        header = bytearray(544)
        struct.pack_into(f"{endian}i", header, 0, 540)
        header[4:8] = b"n+2\0"
        struct.pack_into(f"{endian}2h", header, 12, dtype_code, values.dtype.itemsize * 8)
        struct.pack_into(f"{endian}8q", header, 16, *dim)
        struct.pack_into(f"{endian}q", header, 168, 544)
        struct.pack_into(f"{endian}2d", header, 176, 0.0, 0.0)
    return bytes(header) + values.astype(values.dtype.newbyteorder(endian)).tobytes()


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("endian", ["<", ">"])
def test_nifti1_and_nifti2_both_byte_orders(tmp_path, version, endian):
    values = np.arange(-3, 3 * 4 * 5 - 3, dtype=np.int16)
    data = _nifti(version, (3, 4, 5), values, endian)
    (tmp_path / "x.nii.gz").write_bytes(gzip.compress(data))
    info = inspect_nifti(tmp_path / "x.nii.gz")
    assert info.shape == (3, 4, 5) and info.integer and info.value_range == (-3, 56)
    (tmp_path / "x.nii.gz").write_bytes(gzip.compress(data[:-7]))
    with pytest.raises(InputDataError, match=f"file truncated: {len(data) - 7} of {len(data)} bytes"):
        inspect_nifti(tmp_path / "x.nii.gz")


def test_4d_with_one_volume_is_3d(tmp_path):
    (tmp_path / "a.nii").write_bytes(_nifti(1, (2, 2, 2, 1), np.zeros(8, np.uint8)))
    (tmp_path / "b.nii").write_bytes(_nifti(1, (2, 2, 2, 3), np.zeros(24, np.uint8)))
    assert inspect_nifti(tmp_path / "a.nii").spatial_shape == (2, 2, 2)
    assert inspect_nifti(tmp_path / "b.nii").spatial_shape == (2, 2, 2, 3)
