"""Timing genlab and a peer library side by side, in one run, on equal inputs.

The rules every benchmark follows:

* both sides get the same inputs and do the same amount of work (same iteration counts);
* their results are checked equal (within a stated tolerance) *before* anything is
  timed, so a fast wrong answer can never be reported;
* the two sides are timed alternately in the same process, and the median of several
  repeats is reported, with the ratio genlab / peer (below 1.0: genlab is faster);
* results are written with the machine they ran on.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from genlab.reproducibility import PINNED_ENVIRONMENT

T = TypeVar("T")


@dataclass
class Comparison:
    """One side-by-side measurement."""

    name: str
    peer: str
    genlab_s: float
    peer_s: float
    discrepancy: float
    tolerance: float
    repeats: int
    sizes: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """genlab time divided by the peer's time (lower is better for genlab)."""
        return self.genlab_s / self.peer_s

    def row(self) -> str:
        return (
            f"{self.name:<40} genlab {self.genlab_s * 1e3:9.2f} ms   {self.peer} "
            f"{self.peer_s * 1e3:9.2f} ms   ratio {self.ratio:5.2f}   "
            f"max diff {self.discrepancy:.1e}"
        )


def compare(
    name: str,
    ours: Callable[[], T],
    peer: Callable[[], T],
    *,
    peer_name: str,
    discrepancy: Callable[[T, T], float],
    tolerance: float,
    repeats: int = 5,
    sizes: dict[str, Any] | None = None,
) -> Comparison:
    """Check that ``ours()`` and ``peer()`` agree, then time both alternately.

    ``discrepancy(ours_result, peer_result)`` returns a non-negative number (for
    example the largest absolute difference); above ``tolerance`` the benchmark stops
    with an AssertionError before any timing.
    """
    gap = float(discrepancy(ours(), peer()))  # also serves as the warm-up run
    if not gap <= tolerance:
        raise AssertionError(f"{name}: results differ by {gap:.3e} > {tolerance:.1e}; not timed")
    ours_times: list[float] = []
    peer_times: list[float] = []
    for _ in range(repeats):
        for fn, times in ((ours, ours_times), (peer, peer_times)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return Comparison(
        name=name,
        peer=peer_name,
        genlab_s=statistics.median(ours_times),
        peer_s=statistics.median(peer_times),
        discrepancy=gap,
        tolerance=tolerance,
        repeats=repeats,
        sizes=dict(sizes or {}),
    )


def machine() -> dict[str, Any]:
    """What the benchmarks ran on: CPU, core count, Python and library versions."""
    versions = {}
    for dist in ("genlab", "numpy", "scipy", "scikit-learn", "hmmlearn", "torch"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    processor = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                processor = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "processor": processor,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        # The pinned arithmetic (genlab.reproducibility) in force, if any: `make bench`
        # runs under it, so both sides of every comparison use one thread.
        "pinned": {name: os.environ[name] for name in PINNED_ENVIRONMENT if name in os.environ},
    }


def write_results(results: list[Comparison], path: Path) -> None:
    """Write the comparisons and the machine description as JSON."""
    payload = {
        "machine": machine(),
        "results": [asdict(r) | {"ratio": r.ratio} for r in results],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")
