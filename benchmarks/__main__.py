"""Run every benchmark suite: ``python -m benchmarks`` (or ``make bench``).

Each chapter issue adds a module here with a ``run(full: bool) -> list[Comparison]``
function and registers it in SUITES. Results go to benchmarks/results/latest.json
(full sizes) or latest-quick.json (``--quick``). A full run also records the timings of
the chapter "Choosing a generative model" (``benchmarks/choosing.py``) in
results/choosing.json.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from benchmarks.harness import Comparison, write_results

# Module names (inside this package) of the suites, in the order of the book's chapters.
SUITES: list[str] = ["naive_bayes", "gaussian", "cluster", "mixture", "hmm", "vae"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced sizes (for the book)")
    args = parser.parse_args()
    results: list[Comparison] = []
    for name in SUITES:
        suite = importlib.import_module(f"benchmarks.{name}")
        for comparison in suite.run(full=not args.quick):
            print(comparison.row(), flush=True)
            results.append(comparison)
    if not results:
        print("no benchmark suites registered yet")
        return
    name = "latest-quick.json" if args.quick else "latest.json"
    write_results(results, Path(__file__).with_name("results") / name)
    if not args.quick:
        from benchmarks import choosing

        choosing.record(Path(__file__).with_name("results") / "choosing.json")


if __name__ == "__main__":
    main()
