"""Speed figures: ``python benchmarks/run.py [NAME…]`` prints ``name: value`` lines.

Each ``benchmarks/bench_*.py`` module exposes ``BENCHMARKS``: a mapping of a
benchmark's name to a function returning ``{figure: value}``. A benchmark
measures its baseline (the bare library, bare Starlette) in the same run, so
ratios hold on a noisy machine; each figure is the median of several runs.

Issue 12's figures and their same-run baselines: ``http`` (http_command_p50_ms /
bare_starlette_p50_ms, http_bulk_add_500_s), ``postgres`` (pg_command_p50_ms /
pg_raw_save_p50_ms; pg_concurrent_* / pg_raw_concurrent_saves_per_s),
``addresses`` (add_common_name_ms / add_unique_name_ms), ``bulk_add_500``
(bulk_add_500_s / raw_batched_save_500_s), ``read_side_rebuild``
(rebuild_events_per_s / raw_read_events_per_s), ``audit``
(audit_export_events_per_s / audit_baseline_decode_events_per_s),
``read_side_search`` (directory_search_p50_ms, directory_search_p95_ms,
directory_substring_p95_ms; with SEMA_BENCH_POSTGRES_URL set, the same queries
on PostgreSQL as pg_directory_search_p50_ms, pg_directory_search_p95_ms,
pg_directory_substring_p95_ms). ``postgres`` runs the README's production
topology (ADR 45) and also prints pg_concurrent_follower_catch_up_s.
Issue 10's: ``login_storm`` (login_storm_get_p95_ms / idle_get_p95_ms, same run:
an authenticated GET during 12 clients' wrong passwords, and idle).

Sizes default to the issue's; shorter for a quick run:
SEMA_BENCH_READ_SIDE_USERS (default 100000), SEMA_BENCH_PG_SECONDS (default 60).
SEMA_BENCH_POSTGRES_URL names the PostgreSQL server of the ``pg_*`` figures;
SEMA_BENCH_PORT_BASE, the first loopback port servers may use.
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
