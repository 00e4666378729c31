"""Side-by-side benchmarks of genlab against its peer libraries (see README.md).

The suites time genlab against scikit-learn, hmmlearn and a reference PyTorch loop, which
genlab itself does not need: install them with the ``bench`` extra
(``pip install "genlab[bench]"``). ``python -m genlab.benchmarks`` runs them.

Introduced in the book's chapter "Performance".
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from genlab.benchmarks.harness import Comparison

__all__ = ["RECORDS", "SUITES", "run_suites"]

#: Module names (inside this package) of the suites, in the order of the book's chapters.
SUITES: list[str] = ["naive_bayes", "gaussian", "cluster", "mixture", "hmm", "vae"]

#: Where a full run writes its records: genlab's data folder, in the source tree it runs
#: from (``make bench`` runs from the course repository, whose genlab is installed
#: editable), so that the records ship inside the next wheel.
RECORDS: Path = Path(__file__).resolve().parents[1] / "data" / "records"


def run_suites(
    full: bool = False, report: Callable[[str], object] | None = None
) -> list[Comparison]:
    """Run every suite of :data:`SUITES` and return their comparisons, in order.

    Introduced in the book's chapter "Performance".

    Parameters
    ----------
    full : bool, default False
        The full sizes of ``make bench`` (about nine minutes on two cores), or the reduced
        sizes of the book's performance page (seconds).
    report : callable, optional
        Called with each comparison's one-line summary as soon as it is measured.

    Returns
    -------
    list of Comparison
        One per benchmark (genlab's and the peer's median times, their ratio, the largest
        difference between their results and its tolerance).
    """
    results: list[Comparison] = []
    for name in SUITES:
        suite = importlib.import_module(f"genlab.benchmarks.{name}")
        for comparison in suite.run(full=full):
            if report is not None:
                report(comparison.row())
            results.append(comparison)
    return results
