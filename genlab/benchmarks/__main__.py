"""Run every benchmark suite: ``python -m genlab.benchmarks`` (or ``make bench``).

Each chapter adds a module to this package with a ``run(full: bool) -> list[Comparison]``
function and registers it in SUITES. A full run writes its results to genlab's own records
(``genlab/data/records/latest.json``, read back with :func:`genlab.datasets.load_record`)
and records the timings of the chapter "Choosing a generative model"
(``genlab/benchmarks/choosing.py``) in ``records/choosing.json``, and the scoreboard of the
likelihood yardstick (``genlab/benchmarks/yardstick.py``) in ``records/yardstick.json``, and the
seeds of the chapter "VAE against GAN on real MNIST" (``genlab/benchmarks/vae_gan.py``) in
``records/vae_gan.json``.
``--quick`` runs the
reduced sizes of the book's performance page and writes ``latest-quick.json`` to the
folder given by ``--output`` (by default the current folder), never into the package.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from genlab.benchmarks import RECORDS, run_suites
from genlab.benchmarks.harness import write_results


def main(argv: list[str] | None = None) -> None:
    """Run the suites and write their results (see the module's docstring)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced sizes (for the book)")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="folder for latest-quick.json (--quick only; default: the current folder)",
    )
    args = parser.parse_args(argv)
    if args.output is not None and not args.quick:
        parser.error("--output applies to --quick runs; a full run writes genlab's records")
    results = run_suites(full=not args.quick, report=lambda row: print(row, flush=True))
    if args.quick:
        write_results(results, (args.output or Path.cwd()) / "latest-quick.json")
        return
    write_results(results, RECORDS / "latest.json")
    from genlab.benchmarks import choosing, vae_gan, yardstick

    choosing.record(RECORDS / "choosing.json")
    yardstick.record(RECORDS / "yardstick.json")
    vae_gan.record(RECORDS / "vae_gan.json")


if __name__ == "__main__":
    main()
