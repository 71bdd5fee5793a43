"""Export streams: at 200,000 events its memory stays flat."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from testkit.history import at, grow_history

from sema.bootstrap import build_application

from sema.config import Settings

SECRET_KEY = "c2VtYSBhdWRpdCB0ZXN0IGtleSwgbm90IGZvciBwcm9kdWN0aW9uIQ"

EVENTS = 200_000
MAX_GROWTH_MB = 50

# Runs the real command in a fresh process. Every module the CLI imports is
# loaded before the baseline, so the growth is what the export itself holds.
# The peak is the process's own high-water mark (VmHWM): ru_maxrss would carry
# over the forking pytest process's size, which exec does not reset on Linux.
MEASURE = """
import json, resource, sys
import psutil
from cli import main, parser

def peak_rss():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

parser()
baseline = psutil.Process().memory_info().rss
code = main(sys.argv[1:])
print(json.dumps({"code": code, "growth_mb": (peak_rss() - baseline) / 2**20}))
"""


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("audit-200k")
    # Read models are not what this measures: a follower would keep them; generation stays fast.
    app = build_application(Settings(data_dir=directory, database_url=f"sqlite:///{directory / 'sema.db'}", secret_key=SECRET_KEY), inline_projections=False)
    try:
        grow_history(app, EVENTS, at("09:00"))
    finally:
        app.close()
        app.engine.dispose()
    return directory


@pytest.mark.slow
def test_export_of_200_000_events_keeps_memory_flat(big_store: Path) -> None:
    output = big_store / "history.jsonl"
    env = {**os.environ, "SEMA_SECRET_KEY": SECRET_KEY, "SEMA_DATA_DIR": str(big_store), "SEMA_DATABASE_URL": f"sqlite:///{big_store / 'sema.db'}"}
    completed = subprocess.run(
        [sys.executable, "-c", MEASURE, "audit", "export", "--output", str(output)], env=env, capture_output=True, text=True, check=True
    )
    measured = json.loads(completed.stdout.strip().splitlines()[-1])
    with output.open("rb") as f:
        lines = sum(1 for _ in f)
    assert measured["code"] == 0 and lines >= EVENTS
    assert measured["growth_mb"] < MAX_GROWTH_MB, f"peak RSS grew {measured['growth_mb']:.1f} MB exporting {lines} events"
