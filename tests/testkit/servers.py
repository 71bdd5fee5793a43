"""A ``sema serve`` started by a test: waiting until it answers."""

from __future__ import annotations

import time

import httpx


def wait_until_serving(port: int, attempts: int = 300) -> None:
    """Returns once ``sema serve`` on ``port`` answers (or after ``attempts`` tries, 0.1 s apart)."""
    for _ in range(attempts):
        try:
            httpx.get(f"http://127.0.0.1:{port}/security-questions", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
