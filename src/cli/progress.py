"""Progress bars for long work, on a terminal only: redirected output stays clean."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress(total: int, unit: str, description: str | None = None) -> Iterator[Callable[[int], object] | None]:
    """Yields a function to report work done, or ``None`` when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    # A terminal that reports no size (some pseudo-terminals) would get an empty bar, or with
    # no height none at all (tqdm hides bars below the screen); shutil falls back to 80x24.
    size = shutil.get_terminal_size()
    with tqdm(total=total, desc=description, unit=unit, unit_scale=True, file=sys.stderr, ncols=size.columns, nrows=size.lines) as bar:
        yield bar.update
