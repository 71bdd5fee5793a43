"""The composition root: builds the application with its read models from settings.

Nothing is built at import time; tests build their own.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID, uuid4

from projections.framework import Projections
from projections.registry import all_read_models
from sema.application import SemaApplication, sqlalchemy_url
from sema.config import Settings
from sema.credentials import SecretSource
from sema.start_up_lock import start_up_lock


def build_application(
    settings: Settings,
    *,
    inline_projections: bool = True,
    secrets: SecretSource | None = None,
    new_id: Callable[[], UUID] = uuid4,
) -> SemaApplication:
    """``inline_projections``: read models commit with the command (the default);
    otherwise a follower (``sema projections run``) keeps them, all but the
    principals requests authenticate from, which commands always keep.

    Everything the store lacks is made under the start-up lock: every process
    may start at the same moment, and all but one wait for it (ADR 69)."""
    with start_up_lock(sqlalchemy_url(settings)):
        app = SemaApplication(settings, secrets=secrets, new_id=new_id)
        app.projections = Projections(app, all_read_models(), rebuild_processes=settings.rebuild_processes)
        app.projections.create_tables()
    if inline_projections:
        app.inline_processors.append(app.projections.process_inline)
    else:
        app.inline_processors.append(app.projections.process_always_inline)
    return app
