"""What an endpoint is given: the application, the clock, and who is asking."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from starlette.requests import Request

from api.idempotency import IdempotencyStore
from api.letters import LetterStore
from api.sessions import Session, SessionStore
from domain.actors import Actor, Role
from sema.application import SemaApplication
from sema.clock import Clock


@dataclass(frozen=True)
class ApiSettings:
    secure_cookies: bool = True
    session_idle: timedelta = timedelta(minutes=30)
    session_absolute: timedelta = timedelta(hours=8)
    max_body_bytes: int = 2 * 1024 * 1024
    max_header_bytes: int = 16_384  # the request line and headers (SEMA_HTTP_MAX_HEADER_BYTES)
    cookie_name: str = "sema_session"
    # The mail system's own credential for GET /routing (a bearer token); unset: no mail-system access.
    mail_system_token: str | None = field(default=None, repr=False)
    # Host headers served (Starlette's TrustedHostMiddleware; "*" any, "*.example.org" a domain).
    allowed_hosts: tuple[str, ...] = ("*",)
    hsts_seconds: int = 31_536_000  # Strict-Transport-Security on requests that came over TLS; 0: none
    # A quick operation runs on the event loop when it is the process's only request (SQLite; ADR 63).
    quick_on_loop: bool = True


class InFlight:
    """The HTTP requests this process is serving now, counted on the event loop by the request log."""

    def __init__(self) -> None:
        self.count = 0


@dataclass
class ApiState:
    app: SemaApplication
    clock: Clock
    settings: ApiSettings
    sessions: SessionStore
    letters: LetterStore
    idempotency: IdempotencyStore
    in_flight: InFlight = field(default_factory=InFlight)

    @property
    def quick_on_loop(self) -> bool:
        return self.settings.quick_on_loop and self.app.engine.dialect.name == "sqlite"


@dataclass
class Principal:
    session: Session
    role: Role
    user_id: UUID
    organisation_id: UUID


@dataclass
class Context:
    """One request as an endpoint sees it; ``now`` is read once from the clock."""

    state: ApiState
    request: Request
    request_id: str
    now: datetime
    principal: Principal | None = None  # None on an operation the mail system called with its own token
    log: dict[str, object] = field(default_factory=dict)

    @property
    def app(self) -> SemaApplication:
        return self.state.app

    @property
    def actor_user_id(self) -> UUID:
        return UUID(self.actor.id)

    @property
    def actor(self) -> Actor:
        if self.principal is None:
            raise RuntimeError("this endpoint has no principal")
        return Actor(id=str(self.principal.user_id), role=self.principal.role, organisation_id=self.principal.organisation_id, request_id=self.request_id)
