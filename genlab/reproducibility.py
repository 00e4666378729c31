r"""Run the book's notebooks with the same arithmetic on every supported machine.

Floating-point results depend on more than the code: the same sum gives different last
bits when a library splits it across another number of threads, or takes a different
vectorised code path on another processor. The book stores every output of every
notebook, and its tests re-execute the notebooks and compare, figures included. Outputs
that depend on a long chain of floating-point operations, such as a neural network
trained for a few thousand steps, would then hold only on the machine that stored them.

This module pins what can be pinned, through environment variables that every notebook
kernel inherits:

* **thread counts** of OpenMP, MKL, OpenBLAS and numba: one thread each, so that no
  reduction is split differently on a machine with more cores;
* **MKL's code path** (``MKL_CBWR=COMPATIBLE``): PyTorch's matrix products run through
  Intel's MKL, which otherwise picks a different kernel on an AVX-512 Intel processor, an
  AVX2 one and an AMD one. ``COMPATIBLE`` is the one branch that MKL documents as giving
  the same results on Intel and non-Intel processors;
* **ATen's CPU capability** (``ATEN_CPU_CAPABILITY=avx2``): PyTorch's own vectorised
  kernels (element-wise functions, reductions, random numbers) use AVX2 even where
  AVX-512 is available; every supported machine has AVX2;
* **oneDNN's instruction set** (``ONEDNN_MAX_CPU_ISA=AVX2``), for the same reason;
* **NumPy's AVX-512 code paths** (``NPY_DISABLE_CPU_FEATURES``, NumPy's groups
  ``X86_V4 AVX512_ICL AVX512_SPR``): on an AVX-512 processor NumPy computes float64
  ``exp``, ``log``, ``log10``, ``sin``, ... with its own vectorised code (Intel's SVML,
  accurate to a few units in the last place), elsewhere with the C library's functions,
  and a figure on a logarithmic axis then differs in a few pixels. With these groups off,
  every supported machine runs NumPy's AVX2 (``X86_V3``) code and the C library's
  functions. Features listed already in the caller's ``NPY_DISABLE_CPU_FEATURES`` stay
  disabled (the pins add to it), and a machine without AVX-512 ignores the setting;
* **Python's hash seed**, so that the iteration order of sets of strings is fixed.

What cannot be pinned is made robust in the notebooks themselves: OpenBLAS's kernels
(NumPy's matrix products) differ between processor models in the last bit, and
the variables that would pin OpenBLAS (``OPENBLAS_CORETYPE``, ``OPENBLAS_L2_SIZE``) are
never set or unset here, because course machines set them on processors where older
OpenBLAS builds fail. The notebooks break ties explicitly, order fitted components
canonically, choose between restarts with a tolerance, and print at the precision the
computation really has. The repository's README ("For authors") describes the design.

The pins matter only where results must be identical to the stored ones: the test suite,
``make execute`` and ``make lab`` use them. From a shell::

    python -m genlab.reproducibility jupyter lab   # run a command with the pins
    python -m genlab.reproducibility               # print them as shell assignments

Introduced in the book's chapter "What is a generative model?"
(``book/intro/generative_models.ipynb``), whose section on running the notebooks points
here.
"""

from __future__ import annotations

import os
import platform
import shlex
import sys
from collections.abc import Mapping

__all__ = ["FORBIDDEN", "PINNED_ENVIRONMENT", "main", "pinned_environment"]

#: Variables that genlab never sets or unsets. Course machines set them on processors
#: where older OpenBLAS builds compute wrong results or crash.
FORBIDDEN: frozenset[str] = frozenset({"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"})

_THREADS: dict[str, str] = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
    # MKL adjusts the thread count at run time unless told not to.
    "MKL_DYNAMIC": "FALSE",
    "OMP_DYNAMIC": "FALSE",
}


def _numpy_avx512_groups() -> str:
    """NumPy's names for its AVX-512 dispatch targets, read without importing NumPy.

    NumPy 2.4 and later group its x86 targets by micro-architecture level (``X86_V4`` is
    AVX-512 of Skylake-X); earlier releases name each feature.
    """
    try:
        from importlib.metadata import version

        major, minor = (int(part) for part in version("numpy").split(".")[:2])
    except Exception:  # pragma: no cover - NumPy is a dependency
        major, minor = 2, 4
    if (major, minor) >= (2, 4):
        return "X86_V4 AVX512_ICL AVX512_SPR"
    return "AVX512F AVX512CD AVX512_KNL AVX512_KNM AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL"


# Code-path pins for x86-64 (the only machines the stored outputs are promised for);
# elsewhere these variables would name instruction sets the processor does not have.
_X86_64: dict[str, str] = {
    "MKL_CBWR": "COMPATIBLE",
    "ATEN_CPU_CAPABILITY": "avx2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "NPY_DISABLE_CPU_FEATURES": _numpy_avx512_groups(),
}

#: Pinned variables that list things to disable: the pins add to the caller's list.
_LISTS = frozenset({"NPY_DISABLE_CPU_FEATURES"})

#: Every variable genlab pins, with its value, on this machine.
PINNED_ENVIRONMENT: Mapping[str, str] = {
    **_THREADS,
    **(_X86_64 if platform.machine().lower() in ("x86_64", "amd64") else {}),
    "PYTHONHASHSEED": "0",
}
assert not FORBIDDEN & PINNED_ENVIRONMENT.keys()


def pinned_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of an environment with genlab's pins applied.

    Introduced in the chapter "What is a generative model?".

    Parameters
    ----------
    base : mapping of str to str, optional
        The environment to start from; ``os.environ`` by default. It is not modified.

    Returns
    -------
    dict of str to str
        ``base`` with every variable of :data:`PINNED_ENVIRONMENT` set to its pinned
        value (whatever ``base`` had; for ``NPY_DISABLE_CPU_FEATURES``, the features
        ``base`` disables stay disabled too), and everything else,
        ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` included, exactly as in ``base``.
    """
    environment = dict(os.environ if base is None else base)
    for name, value in PINNED_ENVIRONMENT.items():
        if name in _LISTS and environment.get(name, "").strip():
            listed = environment[name].replace(",", " ").split()
            value = " ".join(dict.fromkeys([*listed, *value.split()]))
        environment[name] = value
    return environment


def main(argv: list[str] | None = None) -> int:
    """Command line: run a command with the pins, or print them.

    ``python -m genlab.reproducibility COMMAND [ARG ...]`` replaces itself with
    ``COMMAND`` under :func:`pinned_environment`; without a command it prints the pins
    as ``NAME=value`` lines that a POSIX shell can ``export``.

    Introduced in the chapter "What is a generative model?".

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0 after printing (running a command does not return).
    """
    args = sys.argv[1:] if argv is None else argv
    if not args:
        for name, value in PINNED_ENVIRONMENT.items():
            print(f"{name}={shlex.quote(value)}")
        return 0
    os.execvpe(args[0], args, pinned_environment())  # replaces this process


if __name__ == "__main__":
    sys.exit(main())
