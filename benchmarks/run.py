"""Speed figures: ``python benchmarks/run.py [NAME…]`` prints ``name: value`` lines.

Each ``benchmarks/bench_*.py`` module exposes ``BENCHMARKS``: a mapping of a
benchmark's name to a function returning ``{figure: value}``. A benchmark
measures its baseline (the bare library, bare Starlette) in the same run, so
ratios hold on a noisy machine; each figure is the median of several runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "src")]


def discover() -> dict[str, Callable[[], dict[str, float]]]:
    found: dict[str, Callable[[], dict[str, float]]] = {}
    for path in sorted(HERE.glob("bench_*.py")):
        module = importlib.import_module(path.stem)
        found.update(module.BENCHMARKS)
    return found


def main(argv: list[str] | None = None) -> int:
    benchmarks = discover()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default all): {', '.join(benchmarks)}")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in benchmarks]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    for name in args.names or list(benchmarks):
        for figure, value in benchmarks[name]().items():
            print(f"{figure}: {value:.6g}" if isinstance(value, float) else f"{figure}: {value}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
