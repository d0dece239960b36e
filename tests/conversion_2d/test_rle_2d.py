from __future__ import annotations

import numpy as np
import pytest
from fake_inputs_2d import siim_reference_encode

from segcls3d.conversion.images2d.rle import is_empty_rle, rle_decode, rle_encode, rle_union
from segcls3d.errors import InputDataError

# Hand-computed example on a 4 x 3 image (H=4 rows, W=3 columns), column-major pixel numbers:
#   col 0: 0 1 2 3 | col 1: 4 5 6 7 | col 2: 8 9 10 11
# mask pixels: (row 1, col 0), (row 2, col 0), (row 3, col 1), (row 0, col 2)
#   -> column-major indices 1, 2, 7, 8 -> runs [1, 3) and [7, 9)
HAND_MASK = np.array(
    [
        [0, 0, 1],
        [1, 0, 0],
        [1, 0, 0],
        [0, 1, 0],
    ],
    dtype=np.uint8,
)
HAND_RELATIVE = "1 2 4 2"  # first run at 0-based 1, length 2 (ends at 3); next starts 4 after: 7, length 2
HAND_ABSOLUTE = "2 2 8 2"  # 1-based starts 2 and 8


def test_hand_example_decodes_both_flavours():
    assert rle_decode(HAND_RELATIVE, (4, 3), relative=True).tolist() == HAND_MASK.tolist()
    assert rle_decode(HAND_ABSOLUTE, (4, 3), relative=False).tolist() == HAND_MASK.tolist()


def test_hand_example_encodes_both_flavours():
    assert rle_encode(HAND_MASK, relative=True) == HAND_RELATIVE
    assert rle_encode(HAND_MASK, relative=False) == HAND_ABSOLUTE
    assert siim_reference_encode(HAND_MASK) == HAND_RELATIVE


def test_row_major_order_option():
    # row-major indices of the same pixels: (1,0)=3, (2,0)=6, (3,1)=10, (0,2)=2 -> runs [2,4), [6,7), [10,11)
    assert rle_encode(HAND_MASK, relative=False, order="C") == "3 2 7 1 11 1"
    assert rle_decode("3 2 7 1 11 1", (4, 3), relative=False, order="C").tolist() == HAND_MASK.tolist()


@pytest.mark.parametrize("relative", [True, False])
@pytest.mark.parametrize("shape", [(17, 11), (32, 32), (5, 40)])
def test_round_trip_random_masks(relative, shape):
    rng = np.random.default_rng(sum(shape) + relative)
    for density in (0.02, 0.3, 0.9):
        mask = (rng.random(shape) < density).astype(np.uint8)
        text = rle_encode(mask, relative=relative)
        assert np.array_equal(rle_decode(text, shape, relative=relative), mask)
        if relative:
            assert text == siim_reference_encode(mask)


def test_full_and_edge_runs_round_trip():
    for mask in (np.ones((6, 4), np.uint8), np.eye(6, 4, dtype=np.uint8)):
        for relative in (True, False):
            assert np.array_equal(rle_decode(rle_encode(mask, relative=relative), mask.shape, relative=relative), mask)
    full = np.ones((6, 4), np.uint8)
    assert rle_encode(full, relative=True) == "0 24"
    assert rle_encode(full, relative=False) == "1 24"


def test_empty_mask_and_minus_one():
    assert rle_encode(np.zeros((3, 3)), relative=True) == "-1"
    for text in ("-1", " -1", "", None, float("nan")):
        assert is_empty_rle(text)
        assert rle_decode(text, (2, 2), relative=True).sum() == 0


def test_union_of_rows():
    a = rle_encode(np.pad(np.ones((2, 2), np.uint8), ((0, 4), (0, 4))), relative=True)
    b = rle_encode(np.pad(np.ones((2, 2), np.uint8), ((4, 0), (4, 0))), relative=True)
    union = rle_union([a, "-1", b], (6, 6), relative=True)
    assert union.sum() == 8
    assert union[0, 0] == 1 and union[5, 5] == 1 and union[3, 3] == 0


def test_siim_style_sample_string_stays_inside_a_1024_image():
    text = "387620 23 996 33 986 43 977 51 968 58 962 65 956 70 952 74 949 76 946 79"
    mask = rle_decode(text, (1024, 1024), relative=True)
    lengths = [int(v) for v in text.split()[1::2]]
    assert mask.sum() == sum(lengths) == 572
    rows, cols = np.nonzero(mask)
    # column-major: the first run sits in column 387620 // 1024 = 378, rows 548..570, and each
    # following run (offset + previous length ~ 1024) in the next column: a compact blob
    assert cols.min() == 378 and cols.max() == 378 + 9
    assert sorted(set(rows[cols == 378].tolist())) == list(range(548, 571))
    assert rle_encode(mask, relative=True) == text


@pytest.mark.parametrize(
    "text, message",
    [
        ("1 2 3", "odd number"),
        ("1 x", "not an integer"),
        ("0 2", "1-based"),
        ("10 20", "beyond|only"),
    ],
)
def test_malformed_rle_is_reported(text, message):
    with pytest.raises(InputDataError, match=message):
        rle_decode(text, (4, 4), relative=False, where="case X")


def test_relative_run_beyond_image_suggests_the_other_format():
    with pytest.raises(InputDataError, match="case Y.*rather than relative"):
        rle_decode("15 5", (4, 4), relative=True, where="case Y")
