"""Recording sensitive reads (``domain.sensitive_read``) in the history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from domain.actors import Actor
from domain.sensitive_read import SensitiveRead
from sema.services.context import Service
from sema.services.runner import UnitOfWork, command


class SensitiveReads(Service):
    @command
    def record(self, uow: UnitOfWork, actor: Actor, at: datetime, what: str, subject_ids: Sequence[object]) -> None:
        uow.save(SensitiveRead.record(self.context.new_id(), what, [str(s) for s in subject_ids], actor, at))
