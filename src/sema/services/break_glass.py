"""Break glass: an operator with access to the store recovers a service
administrator when no other can (docs/adr/0014).

Run from the ``sema operator`` command, never over HTTP: having the store and
its key is the authority. Each change is an ordinary event by the actor
``system:operator``, so the history and the user's notices show it.
"""

from __future__ import annotations

from datetime import datetime

from domain.actors import Actor
from domain.claims import UsernameClaim
from domain.errors import InvalidValue
from domain.user import User, UserKind
from sema.services.context import Service
from sema.services.runner import UnitOfWork, command


class BreakGlass(Service):
    def _service_administrator(self, username: str) -> User:
        user_id = self.claims.owner(UsernameClaim, username)
        user = self.aggregates.user(user_id) if user_id is not None else None
        if user is None or user.kind != UserKind.SERVICE_ADMINISTRATOR:
            raise InvalidValue("username", f"{username!r} is not a service administrator")
        return user

    @command
    def unlock(self, uow: UnitOfWork, actor: Actor, at: datetime, username: str) -> User:
        user = self._service_administrator(username)
        user.unlock(actor, at)
        uow.save(user)
        return user

    @command
    def reissue(self, uow: UnitOfWork, actor: Actor, at: datetime, username: str) -> tuple[User, str, datetime]:
        """A new one-time password (the old password stops working), and the lock lifted."""
        user = self._service_administrator(username)
        otp, expires_at = self.context.secrets.one_time_password(), at + self.settings.one_time_password_lifetime
        if user.locked:
            user.unlock(actor, at)
        user.issue_one_time_password(expires_at, actor, at)
        self.credentials.set_one_time_passwords(uow.session, [self.credentials.one_time_password_row(user.id, otp, at)])
        uow.save(user)
        return user, otp, expires_at
