"""A sensitive read: someone looked at what they must account for (a welcome
letter with one-time passwords, a user's record, the audit history or one
aggregate's part of it).

One aggregate per read, made by its one event, so recording never contends
with anything; auditors see it in the history with its actor and subject
(``/audit/events``, ``sema audit export``)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.actors import Actor
from domain.base import SemaAggregate
from domain.errors import InvalidValue

WHAT = {
    "welcome_letters_downloaded": "letter_batch",
    "user_viewed": "user",
    "audit_history_read": "history",
    "audit_history_exported": "history",
    # One aggregate's history or state as at a moment: the subject ids are
    # ``KIND:ID`` (and ``as_of:TIME`` for a state).
    "aggregate_history_read": "aggregate",
    "aggregate_state_read": "aggregate",
}


class SensitiveRead(SemaAggregate):
    class Recorded(SemaAggregate.Created):
        what: str
        subject_kind: str
        subject_ids: list[str]

    def __init__(self, *, what: str, subject_kind: str, subject_ids: list[str]) -> None:
        self.what = what
        self.subject_kind = subject_kind
        self.subject_ids = list(subject_ids)

    @classmethod
    def record(cls, id: UUID, what: str, subject_ids: list[str], by: Actor, at: datetime) -> SensitiveRead:
        if what not in WHAT:
            raise InvalidValue("what", f"must be one of {', '.join(WHAT)}")
        return cls._new(cls.Recorded, id, by, at, what=what, subject_kind=WHAT[what], subject_ids=list(subject_ids))
