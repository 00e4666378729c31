"""Repository-wide pytest configuration: pinned arithmetic, the foreign-machine pass, figures.

It also holds how nbval compares the book's notebooks, and Hypothesis's settings.

**Pinned arithmetic.** Before anything imports NumPy or PyTorch, the variables of
``genlab.reproducibility.PINNED_ENVIRONMENT`` (one thread per library, MKL's compatible code
path, ATen's AVX2 kernels, ...) are set in this process's environment. The unit tests run
under them, and every notebook kernel that nbval starts inherits them, exactly as under
``make execute``, which stored the outputs.

**Foreign machine** (``--foreign-machine``). The test command runs the notebooks a second
time as if on another course machine: NumPy's SIMD code paths lowered to its baseline
(``NPY_DISABLE_CPU_FEATURES`` lists every dispatched feature this processor has), another
MKL instruction set requested (``MKL_ENABLE_INSTRUCTIONS``), another number of CPUs
(each xdist worker, and so each of its kernels, is bound to a single CPU), other thread
counts in the caller's environment, and the last bits of another processor's kernels:
``tests/foreign_kernels.c``, compiled here and preloaded into every kernel, moves a quarter
of the results of NumPy's ``exp``, ``log``, ... and of its BLAS (and of SciPy's Cholesky
factorisation) by one unit in the last place, as NumPy's AVX-512 code or another OpenBLAS
kernel would. The pins still apply, and the stored outputs must still match.
``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` are never touched.

**Figures.** nbval skips PNG outputs unless told otherwise. The course promises that every
stored output is what the code produces, figures included, so PNG (and JPEG) outputs are
compared byte for byte as well: the figures are rendered by matplotlib's Agg backend with
versions pinned by constraints.txt, and are deterministic given the fixed seeds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from genlab.reproducibility import FORBIDDEN, PINNED_ENVIRONMENT, pinned_environment

os.environ.update(pinned_environment())
# Progress bars are for learners: the stored outputs hold none (genlab's bars obey tqdm's
# environment variables; ``make execute`` sets the same).
os.environ["TQDM_DISABLE"] = "1"

COMPARED_IMAGE_TYPES = ("image/png", "image/jpeg")

try:  # Hypothesis: no deadline (a loaded machine is slow, not wrong); no random flakes.
    from hypothesis import settings

    settings.register_profile("genlab", deadline=None, derandomize=True, print_blob=True)
    settings.register_profile("explore", deadline=None, max_examples=2000)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "genlab"))
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    pass

# What the foreign-machine pass asks for instead of the machine's own choices.
FOREIGN_MKL_INSTRUCTIONS = "SSE4_2"
FOREIGN_CALLER_THREADS = "3"  # overridden by the pins: they must win


def pytest_addoption(parser: Any) -> None:
    """Register ``--foreign-machine``."""
    parser.addoption(
        "--foreign-machine",
        action="store_true",
        help="run as if on another course machine (lowered NumPy SIMD paths, another MKL "
        "instruction set, one CPU per worker); the pins still apply",
    )


def numpy_dispatched_features() -> list[str]:
    """The SIMD features NumPy dispatches to on this processor (above its baseline)."""
    probe = (
        "import numpy as np\n"
        "try:\n"
        "    from numpy._core import _multiarray_umath as m\n"
        "except ImportError:\n"
        "    from numpy.core import _multiarray_umath as m\n"
        "print(' '.join(f for f in m.__cpu_dispatch__ if m.__cpu_features__.get(f)))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.split()


ROOT = Path(__file__).resolve().parent
FOREIGN_KERNELS_SOURCE = ROOT / "tests" / "foreign_kernels.c"
FOREIGN_KERNELS_LIBRARY = ROOT / "_build" / "foreign" / "libforeign_kernels.so"


def build_foreign_kernels() -> Path:
    """Compile tests/foreign_kernels.c (once; atomically, as xdist workers race)."""
    target = FOREIGN_KERNELS_LIBRARY
    if target.exists() and target.stat().st_mtime >= FOREIGN_KERNELS_SOURCE.stat().st_mtime:
        return target
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise RuntimeError(
            "the portability pass needs a C compiler to build tests/foreign_kernels.c: "
            "apt-get install gcc (scripts/ensure_system_deps.sh cc)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        built = Path(scratch) / target.name
        source = str(FOREIGN_KERNELS_SOURCE)
        command = [compiler, "-O2", "-shared", "-fPIC", "-o", str(built), source, "-ldl", "-lm"]
        subprocess.run(command, check=True)
        os.replace(built, target)
    return target


def foreign_machine_environment() -> dict[str, str]:
    """The variables the foreign-machine pass adds (the pins are applied on top)."""
    features = numpy_dispatched_features()
    foreign = {
        "MKL_ENABLE_INSTRUCTIONS": FOREIGN_MKL_INSTRUCTIONS,
        # A caller's thread settings must not reach the kernels: the pins override them.
        "OMP_NUM_THREADS": FOREIGN_CALLER_THREADS,
        "MKL_NUM_THREADS": FOREIGN_CALLER_THREADS,
        "OPENBLAS_NUM_THREADS": FOREIGN_CALLER_THREADS,
    }
    if features:
        foreign["NPY_DISABLE_CPU_FEATURES"] = " ".join(features)
    if sys.platform.startswith("linux"):
        preload = [str(build_foreign_kernels()), os.environ.get("LD_PRELOAD", "")]
        foreign["LD_PRELOAD"] = ":".join(p for p in preload if p)
    assert not FORBIDDEN & foreign.keys()
    return foreign


def bind_to_one_cpu(worker: str) -> int | None:
    """Bind this process (and the kernels it starts) to one CPU, chosen by the worker."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    cpu = cpus[index % len(cpus)]
    os.sched_setaffinity(0, {cpu})
    return cpu


def pytest_configure(config: Any) -> None:
    """Under ``--foreign-machine``, perturb what the pins leave free (see above)."""
    if config.getoption("--foreign-machine", default=False):
        os.environ.update(foreign_machine_environment())
        os.environ.update(pinned_environment())
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        distributing = worker is None and config.getoption("numprocesses", default=None)
        # The xdist controller stays unbound: its workers inherit its CPUs and each takes
        # one of them (gw0 the first, gw1 the second, ...).
        cpu = None if distributing else bind_to_one_cpu(worker or "gw0")
        config.foreign_machine = {
            "NPY_DISABLE_CPU_FEATURES": os.environ.get("NPY_DISABLE_CPU_FEATURES", ""),
            "MKL_ENABLE_INSTRUCTIONS": os.environ["MKL_ENABLE_INSTRUCTIONS"],
            "LD_PRELOAD": os.environ.get("LD_PRELOAD", ""),
            "cpu": cpu,
        }


def pytest_report_header(config: Any) -> list[str]:
    """Show the pins, and the foreign-machine settings, at the top of the report."""
    lines = ["pinned: " + " ".join(f"{k}={os.environ[k]}" for k in sorted(PINNED_ENVIRONMENT))]
    foreign = getattr(config, "foreign_machine", None)
    if foreign:
        lines.append(f"foreign machine: {foreign}")
    return lines


def pytest_collectstart(collector: Any) -> None:
    """Make nbval compare PNG and JPEG outputs too."""
    if (
        collector.fspath
        and collector.fspath.ext == ".ipynb"
        and hasattr(collector, "skip_compare")
    ):
        collector.skip_compare = tuple(
            key for key in collector.skip_compare if key not in COMPARED_IMAGE_TYPES
        )
