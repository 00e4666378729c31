"""genlab.reproducibility: the pins reach the libraries, hold under a "foreign machine"
perturbation, and never touch OpenBLAS's core-type variables.

The decisive checks run a short VAE training in fresh processes (the pins act when a library
starts) and compare the trained weights bit for bit.
"""

from __future__ import annotations

import ctypes
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from genlab import reproducibility
from genlab.reproducibility import FORBIDDEN, PINNED_ENVIRONMENT, pinned_environment

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def root_conftest(request):
    """The repository's conftest.py, as pytest loaded it (``tests/conftest.py`` is another
    module named ``conftest``, so ``from conftest import ...`` would find that one)."""
    module = request.config.pluginmanager.get_plugin(str(ROOT / "conftest.py"))
    assert module is not None and hasattr(module, "foreign_machine_environment")
    return module


X86_64 = platform.machine().lower() in ("x86_64", "amd64")

# Trains a small VAE for a few epochs and prints a hash of its weights, the loss's exact
# value, ATen's CPU capability and PyTorch's thread count.
TRAIN = """
import hashlib
import numpy as np, torch
from genlab.vae import VAE, train
X = np.random.default_rng(0).random((300, 16))
torch.manual_seed(0)
model = VAE(input_dim=16, hidden_dim=32, latent_dim=2)
history = train(model, X, epochs=3, batch_size=32, seed=0, progress=False)
weights = b"".join(p.detach().numpy().tobytes() for p in model.parameters())
print(hashlib.sha256(weights).hexdigest()[:16], repr(history["loss"][-1]),
      torch.backends.cpu.get_cpu_capability(), torch.get_num_threads())
"""


def run_training(env: dict[str, str]) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", TRAIN], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.split()


def without_pins() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in PINNED_ENVIRONMENT}


def test_no_forbidden_variable_is_pinned():
    assert not FORBIDDEN & set(PINNED_ENVIRONMENT)
    assert FORBIDDEN == {"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"}


@pytest.mark.parametrize("present", [True, False])
def test_pinned_environment_keeps_openblas_core_type_as_it_was(present):
    base = {"PATH": "/usr/bin", "OMP_NUM_THREADS": "16"}
    if present:
        base |= {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": "1048576"}
    env = pinned_environment(base)
    for name in FORBIDDEN:
        assert env.get(name) == base.get(name)  # kept if set, absent if not
    assert env["OMP_NUM_THREADS"] == "1"  # the pin wins over the caller's value
    assert env["PATH"] == "/usr/bin"
    assert base["OMP_NUM_THREADS"] == "16"  # the argument is not modified


def test_the_pins_by_hand():
    expected = {
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "NUMBA_NUM_THREADS": "1",
        "MKL_DYNAMIC": "FALSE",
        "OMP_DYNAMIC": "FALSE",
        "PYTHONHASHSEED": "0",
    }
    if X86_64:
        expected |= {
            "MKL_CBWR": "COMPATIBLE",
            "ATEN_CPU_CAPABILITY": "avx2",
            "ONEDNN_MAX_CPU_ISA": "AVX2",
            "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",  # NumPy >= 2.4
        }
    assert dict(PINNED_ENVIRONMENT) == expected


@pytest.mark.skipif(not X86_64, reason="the AVX-512 pin is x86-64's")
def test_numpy_runs_its_avx2_code_under_the_pins():
    probe = (
        "from numpy._core._multiarray_umath import __cpu_features__ as f\n"
        "print(f['X86_V3'], f['X86_V4'], f['AVX512_ICL'], f['AVX512_SPR'])"
    )
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", probe],
        env=pinned_environment(without_pins()),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    # every supported machine has X86_V3 (AVX2, FMA); no AVX-512 path is taken
    assert out == ["True", "False", "False", "False"]


def test_the_pins_add_to_a_callers_disabled_features():
    base = {"NPY_DISABLE_CPU_FEATURES": "X86_V3,X86_V4", "OPENBLAS_CORETYPE": "Haswell"}
    env = pinned_environment(base)
    if X86_64:
        assert env["NPY_DISABLE_CPU_FEATURES"] == "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"
    assert env["OPENBLAS_CORETYPE"] == "Haswell"
    assert base["NPY_DISABLE_CPU_FEATURES"] == "X86_V3,X86_V4"  # not modified


def test_the_test_suite_itself_runs_pinned():
    # conftest.py applies the pins before anything imports NumPy or PyTorch.
    for name, value in PINNED_ENVIRONMENT.items():
        if name == "NPY_DISABLE_CPU_FEATURES":  # added to what the caller disabled
            assert set(value.split()) <= set(os.environ[name].split())
        else:
            assert os.environ[name] == value
    assert os.environ["TQDM_DISABLE"] == "1"
    import torch

    assert torch.get_num_threads() == 1
    if X86_64:
        assert torch.backends.cpu.get_cpu_capability() in ("AVX2", "DEFAULT")


def test_command_line_prints_and_runs(capsys):
    assert reproducibility.main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    printed = dict(line.split("=", 1) for line in lines)
    # shell assignments: what a POSIX shell reads back is the pinned value
    assert {k: shlex.split(v)[0] for k, v in printed.items()} == dict(PINNED_ENVIRONMENT)
    env = os.environ | {"OMP_NUM_THREADS": "7"}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "genlab.reproducibility",
            sys.executable,
            "-c",
            "import os; print(os.environ['OMP_NUM_THREADS'], os.environ['PYTHONHASHSEED'])",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["1", "0"]


@pytest.mark.skipif(not X86_64, reason="MKL's code path is pinned on x86-64 only")
def test_mkl_runs_its_compatible_code_path():
    # mkl_serv_cbwr_get(MKL_CBWR_BRANCH) reports the branch in use: 3 is COMPATIBLE. (On an
    # AMD processor MKL_CBWR=AVX2 would silently report 2, AUTO: not a cross-vendor pin.)
    import torch

    library = Path(torch.__file__).parent / "lib" / "libtorch_cpu.so"
    try:
        get = ctypes.CDLL(str(library)).mkl_serv_cbwr_get
    except (OSError, AttributeError):
        pytest.skip("this PyTorch build does not expose MKL's branch")
    get.restype, get.argtypes = ctypes.c_int, [ctypes.c_int]
    torch.ones(4, 4) @ torch.ones(4, 4)  # MKL reads MKL_CBWR when it starts
    assert get(1) == 3


@pytest.mark.skipif(not X86_64, reason="the foreign-machine perturbation is for x86-64")
def test_pinned_training_is_identical_on_a_foreign_machine_and_the_pins_matter(root_conftest):
    foreign_machine_environment = root_conftest.foreign_machine_environment
    pinned = run_training(pinned_environment(without_pins()))
    foreign = run_training(pinned_environment(without_pins() | foreign_machine_environment()))
    assert foreign == pinned
    assert pinned[2:] == ["AVX2", "1"]
    # Without the pins, another ATen code path (what an older or different processor
    # would take) changes the trained weights: the pin is not decoration.
    unpinned = run_training(without_pins() | {"ATEN_CPU_CAPABILITY": "default"})
    assert unpinned[2] == "DEFAULT"
    assert unpinned[0] != pinned[0]


# The foreign kernels (tests/foreign_kernels.c), as the portability pass preloads them.
PERTURBED = """
import math, sys
import numpy as np, torch
from scipy.linalg import cholesky
x = np.linspace(0.01, 5.0, 4001)
A = np.random.default_rng(0).random((60, 40))
B = np.random.default_rng(1).integers(-3, 4, size=(60, 40)).astype(float)
S = B.T @ B + np.eye(40)  # integers: exact in any order, so only the factorisation moves
results = {
    "exp": np.exp(x), "log": np.log(x), "sin": np.sin(x), "pow": x ** 1.7,
    "log10": np.log10(x),  # (matplotlib's logarithmic axes)
    "matmul": A @ A[:5].T, "gemv": A @ x[:40], "cholesky": cholesky(S, lower=True),
    "exact": np.array([np.exp(0.0), np.log(1.0), *(np.arange(12.0).reshape(3, 4) @ np.ones(4))]),
    "short": (A[:, :3] @ A[:3, :]).ravel(),
    "math.exp": np.array([math.exp(v) for v in x[:200]]),
    "torch.exp": torch.exp(torch.from_numpy(x)).numpy(),
}
np.savez(sys.argv[1], **results)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="LD_PRELOAD is Linux's")
def test_foreign_kernels_move_numpys_last_bits_and_nothing_else(tmp_path, root_conftest):
    import numpy as np

    build_foreign_kernels = root_conftest.build_foreign_kernels
    numpy_dispatched_features = root_conftest.numpy_dispatched_features
    library = build_foreign_kernels()
    # As in the portability pass: NumPy on its baseline, so that its exp, log, ... call the
    # C library (on an AVX-512 processor NumPy's own AVX-512 code computes them otherwise,
    # and nothing could be moved). Both runs use the same set-up.
    baseline = {"NPY_DISABLE_CPU_FEATURES": " ".join(numpy_dispatched_features())}
    runs = {}
    for name, preload in (("own", ""), ("foreign", str(library))):
        env = os.environ | baseline | {"LD_PRELOAD": preload}
        out = tmp_path / f"{name}.npz"
        subprocess.run([sys.executable, "-c", PERTURBED, str(out)], env=env, check=True)
        runs[name] = dict(np.load(out))
    own, foreign = runs["own"], runs["foreign"]
    for key in ("exp", "log", "log10", "sin", "pow", "matmul", "gemv", "cholesky"):
        keep = own[key].ravel() != 0  # (the zeros above a Cholesky factor stay zero)
        a, b = own[key].ravel()[keep], foreign[key].ravel()[keep]
        moved = a != b
        # about one result in eight moves, each by exactly one unit in the last place
        assert 0.06 < moved.mean() < 0.2, (key, moved.mean())
        assert np.all(np.abs(np.nextafter(a[moved], b[moved]) - b[moved]) == 0), key
    # exact results, Python's own math and PyTorch are left alone
    for key in ("exact", "short", "math.exp", "torch.exp"):
        np.testing.assert_array_equal(foreign[key], own[key])
