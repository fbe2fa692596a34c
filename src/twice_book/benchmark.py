"""The whole benchmark suite, run once and recorded for chapter 6: ``python3 tasks.py benchmark``.

Every workload of :mod:`twice.benchmark`, in every mode, in NumPy, TensorFlow and PyTorch, at 1 and 2
threads, one fresh process each, one after the other: a few minutes on a two-core CPU, most of them cold
``torch.compile``. That is longer than a notebook may run, so the chapter's notebooks read the record this
writes (:data:`twice.benchmark.RECORD`, inside the package, by default) beside the smaller run they make themselves.
Run it on a machine that is doing nothing else: each record carries the load average its processes saw.

    python -m twice_book.benchmark [--output PATH]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite, print its tables and write the record; 1 if a variant's outputs disagree."""
    from twice import benchmark

    parser = argparse.ArgumentParser(prog="python -m twice_book.benchmark", description=__doc__)
    parser.add_argument("--output", type=Path, default=benchmark.RECORD, help="default: src/twice/records/cpu.json")
    args = parser.parse_args(argv)
    suite = benchmark.run_suite()
    print(benchmark.results_table(suite.results))
    print()
    print(benchmark.ratio_table(suite.results))
    written = benchmark.save_suite(suite, args.output)
    print(f"\n{len(suite.results)} variants in {suite.seconds:.0f} s, written to {written}")
    failed = [r.label for r in suite.results if r.check_passed is False]
    if failed:
        print("outputs disagree: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
