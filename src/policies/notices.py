"""The state of the service's outbound notices, for service administrators:
each outbox row with what the mailer did with it (``policies.mailer``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Engine, case, func, select
from sqlalchemy.orm import Session

from policies.mailer import FAILED, RETRY, SENDING, SENT, deliveries
from projections.due import utc
from projections.outbox import Outbox
from sema.side_tables import create_side_table

NoticeState = Literal["queued", "sending", "sent", "retrying", "failed"]
NOTICE_STATES: tuple[str, ...] = ("queued", "sending", "sent", "retrying", "failed")
_FROM_DELIVERY = {SENDING: "sending", SENT: "sent", RETRY: "retrying", FAILED: "failed"}


class NoticeView(BaseModel):
    message_key: str
    created_at: datetime
    reason: str = Field(description="why it was written: inactivity_alert, password_reset, exceptional_access_granted, …")
    recipient: str
    subject: str
    state: NoticeState = Field(description="queued: not tried yet; retrying: a temporary failure, tried again later; failed: refused for good")
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None


class NoticePage(BaseModel):
    total: int
    counts: dict[str, int] = Field(description="notices in each state, whatever the filter")
    items: list[NoticeView]
    limit: int
    offset: int


def notice_page(engine: Engine, states: Sequence[str] = (), limit: int = 50, offset: int = 0) -> NoticePage:
    """Newest first; ``states`` OR-ed (none: every state)."""
    create_side_table(deliveries, engine)  # no mailer may have run yet
    outbox = Outbox()
    m, d = outbox.messages.c, deliveries.c
    state = case(*[(d.state == stored, shown) for stored, shown in _FROM_DELIVERY.items()], else_="queued")
    joined = outbox.messages.outerjoin(deliveries, d.message_key == m.message_key)
    where: list[Any] = [state.in_(list(states))] if states else []
    with Session(engine) as session:
        counts = {s: 0 for s in NOTICE_STATES}
        counts.update({k: int(n) for k, n in session.execute(select(state, func.count()).select_from(joined).group_by(state))})
        total = session.execute(select(func.count()).select_from(joined).where(*where)).scalar_one()
        query = (
            select(m.message_key, m.created_at, m.reason, m.recipient, m.subject, state.label("state"), d.attempts, d.next_attempt_at, d.sent_at, d.last_error)
            .select_from(joined)
            .where(*where)
            .order_by(m.seq.desc(), m.message_key)
            .limit(limit)
            .offset(offset)
        )
        rows = session.execute(query).mappings().all()
    items = [
        NoticeView(
            message_key=r["message_key"],
            created_at=utc(r["created_at"]),
            reason=r["reason"],
            recipient=r["recipient"],
            subject=r["subject"],
            state=r["state"],
            attempts=r["attempts"] or 0,
            next_attempt_at=utc(r["next_attempt_at"]) if r["next_attempt_at"] else None,
            sent_at=utc(r["sent_at"]) if r["sent_at"] else None,
            last_error=r["last_error"],
        )
        for r in rows
    ]
    return NoticePage(total=int(total), counts=counts, items=items, limit=limit, offset=offset)
