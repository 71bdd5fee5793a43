"""Sessions: a user lists and ends their own; an administrator those of a user they administer."""

from __future__ import annotations

from uuid import UUID

from api.context import Context
from api.problems import ApiProblem
from api.schemas import SessionsOut, SessionView


def _sessions(ctx: Context, user_id: UUID) -> SessionsOut:
    current = ctx.principal.session.token_hash if ctx.principal else None
    return SessionsOut(
        sessions=[
            SessionView(session_id=s.session_id, created_at=s.created_at, last_used_at=s.last_used_at, expires_at=s.expires_at, current=s.token_hash == current)
            for s in ctx.state.sessions.live_of_user(user_id, ctx.now)
        ]
    )


def _end(ctx: Context, user_id: UUID, session_id: str) -> None:
    if not ctx.state.sessions.close_by_id(user_id, session_id, ctx.now):
        raise ApiProblem(404, "not-found", "Not found", f"no live session {session_id}")


def my_sessions(ctx: Context) -> SessionsOut:
    """List own live sessions"""
    return _sessions(ctx, ctx.actor_user_id)


def end_my_session(ctx: Context, session_id: str) -> None:
    """End one of own sessions"""
    _end(ctx, ctx.actor_user_id, session_id)


def user_sessions(ctx: Context, user_id: UUID) -> SessionsOut:
    """List a user's live sessions"""
    ctx.app.aggregates.administered_user(ctx.actor, user_id)
    return _sessions(ctx, user_id)


def end_user_session(ctx: Context, user_id: UUID, session_id: str) -> None:
    """End a user's session"""
    ctx.app.aggregates.administered_user(ctx.actor, user_id)
    _end(ctx, user_id, session_id)
