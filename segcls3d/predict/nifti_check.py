"""Read a NIfTI file through to its end without an imaging library: is it complete, and what does it hold?

SimpleITK fills the voxels missing from a truncated ``.nii.gz`` with zeros and reports no error, so
a cut-off download is predicted as if it were fine. :func:`inspect_nifti` reads the NIfTI-1/2
header (``dim``, ``datatype``, ``bitpix``, ``vox_offset``), then the whole (decompressed) stream,
and fails unless the stream ends properly and holds ``vox_offset + n_voxels * bitpix / 8`` bytes.

Example:
    >>> import gzip, struct, tempfile, pathlib
    >>> header = bytearray(352)
    >>> struct.pack_into("<i", header, 0, 348); struct.pack_into("<8h", header, 40, 3, 4, 4, 4, 1, 1, 1, 1)
    >>> struct.pack_into("<2h", header, 70, 2, 8); struct.pack_into("<f", header, 108, 352.0)
    >>> header[344:348] = b"n+1\\0"
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.nii.gz"
    >>> _ = path.write_bytes(gzip.compress(bytes(header) + bytes(range(64))))
    >>> inspect_nifti(path)
    NiftiInfo(shape=(4, 4, 4), integer=True, value_range=(0, 63))
    >>> _ = path.write_bytes(gzip.compress(bytes(header) + bytes(range(64)))[:-40])
    >>> inspect_nifti(path)
    Traceback (most recent call last):
    ...
    segcls3d.errors.InputDataError: file truncated: 385 of 416 bytes
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator, Optional, Union

import numpy as np

from segcls3d.errors import InputDataError

PathLike = Union[str, Path]
_CHUNK = 1 << 24
#: NIfTI datatype code -> numpy integer type (the label-map test only looks at integer data)
_INTEGER_TYPES = {2: np.uint8, 4: np.int16, 8: np.int32, 256: np.int8, 512: np.uint16, 768: np.uint32,
                  1024: np.int64, 1280: np.uint64}


@dataclass(frozen=True)
class NiftiInfo:
    """What a complete NIfTI file holds: its shape (``dim[1..dim[0]]``) and, for integer data, its value range."""

    shape: tuple[int, ...]
    integer: bool
    value_range: Optional[tuple[int, int]] = None

    @property
    def spatial_shape(self) -> tuple[int, ...]:
        """The shape without trailing size-1 axes beyond the third (a "4D" file with one volume is 3D)."""
        shape = list(self.shape)
        while len(shape) > 3 and shape[-1] == 1:
            shape.pop()
        return tuple(shape)


@dataclass(frozen=True)
class _Header:
    shape: tuple[int, ...]
    datatype: int
    bitpix: int
    vox_offset: int
    scaled: bool
    endian: str


def inspect_nifti(path: PathLike) -> NiftiInfo:
    """Read ``path`` (``.nii`` or ``.nii.gz``; gzip-compressed or not) to its end and check that it is complete.

    Raises:
        InputDataError: not a NIfTI file, corrupt gzip data, or fewer bytes than the header announces
            (message ``file truncated: N of M bytes``).
    """
    with open(path, "rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"  # ITK reads an uncompressed file named .nii.gz as well
        raw.seek(0)
        chunks = _gzip_chunks(raw) if compressed else iter(lambda: raw.read(_CHUNK), b"")
        try:
            return _read_chunks(chunks)
        except zlib.error as exc:
            raise InputDataError(f"corrupt gzip data ({exc})") from None


def _gzip_chunks(raw: BinaryIO) -> Iterator[bytes]:
    """Decompressed pieces of a (multi-member) gzip file; EOFError if the last member has no end marker."""
    inflater = zlib.decompressobj(31)
    for data in iter(lambda: raw.read(1 << 16), b""):
        while data:
            if inflater.eof:
                if not data.strip(b"\0"):  # zero padding after the last member, as gzip allows
                    return
                inflater = zlib.decompressobj(31)
            yield inflater.decompress(data)
            data = inflater.unused_data if inflater.eof else b""
    if not inflater.eof:
        raise EOFError


def _read_chunks(chunks: Iterator[bytes]) -> NiftiInfo:
    """Parse the header from the first bytes, then count (and range) the voxel bytes to the end."""
    head, complete = b"", True
    try:
        for chunk in chunks:
            head += chunk
            if len(head) >= 540:
                break
    except EOFError:
        complete = False
    if not complete and len(head) < 348:
        raise InputDataError(f"file truncated: {len(head)} bytes, less than a NIfTI header")
    header = _parse_header(head)
    expected = header.vox_offset + int(np.prod(header.shape, dtype=np.int64)) * header.bitpix // 8
    values = _ValueRange(_INTEGER_TYPES.get(header.datatype), header.endian)
    values.add(head[header.vox_offset: expected])
    received = len(head)
    try:
        for chunk in chunks if complete else ():
            values.add(chunk[max(header.vox_offset - received, 0): max(expected - received, 0)])
            received += len(chunk)
    except EOFError:
        complete = False
    if received < expected:
        raise InputDataError(f"file truncated: {received} of {expected} bytes")
    if not complete:
        raise InputDataError(f"file truncated: the gzip stream ends after {received} bytes without its "
                             "end-of-stream marker")
    return NiftiInfo(header.shape, values.dtype is not None, None if header.scaled else values.range)


class _ValueRange:
    """Running min/max of integer voxel data arriving in pieces of any length."""

    def __init__(self, dtype: Optional[type], endian: str) -> None:
        self.dtype = np.dtype(dtype).newbyteorder(endian) if dtype is not None else None
        self.low: Optional[int] = None
        self.high: Optional[int] = None
        self._pending = b""

    def add(self, data: bytes) -> None:
        if self.dtype is None or not data:
            return
        data = self._pending + data if self._pending else data
        usable = len(data) - len(data) % self.dtype.itemsize
        self._pending = data[usable:]
        values = np.frombuffer(data, dtype=self.dtype, count=usable // self.dtype.itemsize)
        if values.size:
            low, high = int(values.min()), int(values.max())
            self.low = low if self.low is None else min(self.low, low)
            self.high = high if self.high is None else max(self.high, high)

    @property
    def range(self) -> Optional[tuple[int, int]]:
        return (self.low, self.high) if self.low is not None and self.high is not None else None


def _parse_header(head: bytes) -> _Header:
    """NIfTI-1 (348-byte) or NIfTI-2 (540-byte) header fields, in either byte order."""
    if len(head) < 348:
        raise InputDataError(f"not a NIfTI file (only {len(head)} bytes, a header has 348)")
    for endian in ("<", ">"):
        size = struct.unpack_from(f"{endian}i", head, 0)[0]
        if size == 348:
            dim = struct.unpack_from(f"{endian}8h", head, 40)
            datatype, bitpix = struct.unpack_from(f"{endian}2h", head, 70)
            offset, slope, inter = struct.unpack_from(f"{endian}3f", head, 108)
            single_file = head[344:347] == b"n+1"
            break
        if size == 540 and len(head) >= 540:
            datatype, bitpix = struct.unpack_from(f"{endian}2h", head, 12)
            dim = struct.unpack_from(f"{endian}8q", head, 16)
            offset = struct.unpack_from(f"{endian}q", head, 168)[0]
            slope, inter = struct.unpack_from(f"{endian}2d", head, 176)
            single_file = head[4:7] == b"n+2"
            break
    else:
        raise InputDataError("not a NIfTI file (no NIfTI-1/2 header)")
    if not single_file:
        raise InputDataError("not a single-file NIfTI image (.hdr/.img pairs are not supported)")
    if not 1 <= dim[0] <= 7 or any(d < 1 for d in dim[1: dim[0] + 1]) or bitpix <= 0 or bitpix % 8:
        raise InputDataError(f"invalid NIfTI header (dim {list(dim)}, bitpix {bitpix})")
    scaled = slope not in (0.0, 1.0) or (slope != 0.0 and inter != 0.0)
    shape = tuple(int(d) for d in dim[1: dim[0] + 1])
    return _Header(shape, datatype, bitpix, max(int(offset), 348 if size == 348 else 540), scaled, endian)
