"""Builders for the policy tests: organisations, users, mail capture, events.

Hypothesis examples and racing threads cannot use function-scoped fixtures,
so these are plain functions over a real application.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any
from uuid import UUID

from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.actors import Actor, Role
from sema.application import CreatedUser, NewUser, SemaApplication
from sema.bootstrap import build_application
from sema.config import Settings
from testkit import TEST_SECRET_KEY, make_settings

KEY = TEST_SECRET_KEY
START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
SERVICE_ADMIN = Actor(id="service-admin-under-test", role=Role.SERVICE_ADMINISTRATOR)
PASSWORD = "a long enough password 42"
ANSWERS = {"mothers_maiden_name": "Quetzalcoatl", "first_school": "Hillcrest Primary", "place_of_birth": "Ulaanbaatar"}


def settings_for(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    return make_settings(database_url, data_dir, **overrides)


def open_app(settings: Settings) -> SemaApplication:
    return build_application(settings)


def close_app(app: SemaApplication) -> None:
    app.close()
    app.engine.dispose()


@dataclass(frozen=True)
class Org:
    id: UUID
    code: str
    admin: Actor
    admin_user: CreatedUser


def organisation(app: SemaApplication, at: datetime, code: str, account_type: str = "mailbox", domains: tuple[str, ...] = ()) -> Org:
    """A registered organisation with one appointed administrator, as that administrator acts."""
    organisation_id = app.register_organisation(SERVICE_ADMIN, at, name=f"Organisation {code}", code=code, account_type=account_type, domains=domains)
    row = NewUser("Ada", "Admin", original_address=f"ada.admin@{domains[0]}" if domains else None)
    (admin_user,) = app.add_users(SERVICE_ADMIN, at, organisation_id, [row])
    app.appoint_administrator(SERVICE_ADMIN, at, organisation_id, admin_user.user_id)
    admin = Actor(id=str(admin_user.user_id), role=Role.ORGANISATION_ADMINISTRATOR, organisation_id=organisation_id)
    return Org(organisation_id, code, admin, admin_user)


def add_user(app: SemaApplication, org: Org, at: datetime, first: str, last: str, original_address: str | None = None) -> CreatedUser:
    (created,) = app.add_users(org.admin, at, org.id, [NewUser(first, last, original_address=original_address)])
    return created


def activate(app: SemaApplication, created: CreatedUser, at: datetime) -> Actor:
    assert created.one_time_password is not None
    actor = app.log_in(created.username, created.one_time_password, at).actor()
    app.complete_first_log_in(actor, at, PASSWORD, ANSWERS)
    return actor


def events_of(app: SemaApplication, aggregate_id: UUID) -> list[Any]:
    return list(app.repository.event_store.get(aggregate_id))


def event_names(app: SemaApplication, aggregate_id: UUID) -> list[str]:
    return [type(e).__qualname__ for e in events_of(app, aggregate_id)]


def outbox_rows(app: SemaApplication) -> list[dict[str, Any]]:
    outbox = app.projections.by_name(["outbox"])[0]
    with Session(app.engine) as session:
        return [dict(r) for r in session.execute(select(outbox.messages).order_by(outbox.messages.c.seq, outbox.messages.c.message_key)).mappings()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: Message
    raw: bytes


@dataclass
class Inbox:
    """An aiosmtpd handler keeping what it accepted; ``refuse`` maps a recipient to a 5xx answer."""

    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    refuse_content: str | None = None  # an answer to DATA, e.g. "554 5.6.0 content rejected"
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_content is not None:
            return self.refuse_content
        raw = envelope.original_content or envelope.content
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(raw), raw))
        return "250 Message accepted for delivery"

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.messages)


class SmtpServer:
    """A real SMTP server on a loopback port, for the length of a test."""

    def __init__(self, port: int, inbox: Inbox | None = None) -> None:
        self.port = port
        self.inbox = inbox or Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


def letters_for(positions: list[tuple[str, int]]) -> list[str]:
    """The letters the user would spell out for a challenge, from ``ANSWERS``."""
    from sema.credentials import normalise_answer

    return [normalise_answer(ANSWERS[q])[p - 1] for q, p in positions]


def pass_challenge(app: SemaApplication, admin: Actor, user_id: UUID, at: datetime) -> Any:
    prompt = app.issue_challenge(admin, at, user_id)
    assert app.answer_challenge(admin, at, user_id, prompt.challenge_id, letters_for(prompt.positions))
    return prompt


# ------------------------------------------------------------------ racers
# Run in spawned processes: plain functions of picklable arguments, each
# opening its own application on the shared database.


def tick_in_process(settings: Settings, now: datetime, barrier: Any) -> dict[str, dict[str, int]]:
    from policies.runner import PolicyRunner

    app = open_app(settings)
    try:
        runner = PolicyRunner(app)
        barrier.wait(timeout=120)
        report = runner.tick(now)
        return {"done": dict(report.done), "skipped": dict(report.skipped), "failed": dict(report.failed)}
    finally:
        close_app(app)


def deliver_in_process(settings: Settings, now: datetime, barrier: Any) -> int:
    from policies.mailer import Mailer
    from sema.clock import SettableClock

    app = open_app(settings)
    try:
        mailer = Mailer(app, SettableClock(now), batch_size=2)
        barrier.wait(timeout=120)
        return mailer.deliver().sent
    finally:
        close_app(app)
