"""The notices a user gets about their own account (a part of the outbox).

Every challenge issued, passed and failed (an abandoned one is a failure),
every lock and unlock (by an administrator or by the operator's break
glass), every reset and re-issued one-time password, and every grant of
exceptional access about them: each one tells the user straight away, so a
person misusing an administrator's powers is seen by their victim. No notice
carries a secret (docs/adr/0015).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table

from domain.user import User
from projections.batch import Batch
from projections.due import utc
from projections.framework import ReadModel, handles
from projections.tables import text_id

IF_NOT_YOU = "If you did not expect this, contact your organisation's administrators straight away."


def day_and_time(moment: datetime) -> str:
    return utc(moment).strftime("%d %B %Y at %H:%M UTC")


class AccountNotices(ReadModel):
    """Needs the outbox's ``requests`` table, ``_notify`` and ``_actor_name``."""

    requests: Table

    def _notify(self, batch: Batch, event: Any, reason: str, user_id: str, subject: str, body: str) -> None:
        raise NotImplementedError

    def _actor_name(self, batch: Batch, actor_id: str) -> str:
        raise NotImplementedError

    @handles(User.ChallengeIssued)
    def _challenge_issued(self, batch: Batch, event: User.ChallengeIssued) -> None:
        self._notify(
            batch,
            event,
            "challenge_issued",
            text_id(event.originator_id),
            "An administrator asked for letters of your security information",
            f"On {day_and_time(event.timestamp)}, {self._actor_name(batch, event.actor_id)} asked for "
            f"{len(event.positions)} letters of your security information to confirm your identity.\n\n{IF_NOT_YOU}",
        )

    @handles(User.ChallengeFailed)
    def _challenge_failed(self, batch: Batch, event: User.ChallengeFailed) -> None:
        how = "was abandoned unanswered" if getattr(event, "abandoned", False) else "was answered with wrong letters"
        self._notify(
            batch,
            event,
            "challenge_failed",
            text_id(event.originator_id),
            "A check of your identity failed",
            f"On {day_and_time(event.timestamp)}, a request for letters of your security information {how}; "
            f"that is {event.consecutive_failures} failed check(s) in a row.\n\n{IF_NOT_YOU}",
        )

    @handles(User.Locked)
    def _locked(self, batch: Batch, event: User.Locked) -> None:
        self._notify(
            batch,
            event,
            "account_locked",
            text_id(event.originator_id),
            "Your account has been locked",
            f"On {day_and_time(event.timestamp)}, your account was locked after {event.reason}. "
            f"An administrator of your organisation can unlock it.\n\n{IF_NOT_YOU}",
        )

    @handles(User.Unlocked)
    def _unlocked(self, batch: Batch, event: User.Unlocked) -> None:
        self._notify(
            batch,
            event,
            "account_unlocked",
            text_id(event.originator_id),
            "Your account has been unlocked",
            f"On {day_and_time(event.timestamp)}, {self._actor_name(batch, event.actor_id)} unlocked your account: "
            f"you can log in again.\n\n{IF_NOT_YOU}",
        )

    @handles(User.UserReset)
    def _reset(self, batch: Batch, event: User.UserReset) -> None:
        self._notify(
            batch,
            event,
            "user_reset",
            text_id(event.originator_id),
            "Your account was reset under the Exceptional Access Policy",
            f"On {day_and_time(event.timestamp)}, {self._actor_name(batch, event.actor_id)} reset your account under "
            "an approved exceptional-access request: your password and security information no longer work, and "
            "you will receive a new one-time password from your administrator.\n\n" + IF_NOT_YOU,
        )

    @handles(User.ExceptionalAccessGranted)
    def _reset_granted(self, batch: Batch, event: User.ExceptionalAccessGranted) -> None:
        if batch.one(self.requests, grant_id=event.grant_id)["requested_by"] == text_id(event.originator_id):
            return  # they asked for it themself, and are told of the decision as its requester
        self._notify(
            batch,
            event,
            "user_reset_granted_to_user",
            text_id(event.originator_id),
            "A reset of your account has been approved",
            f"On {day_and_time(event.timestamp)}, a service administrator approved a request to reset your account, "
            f"in force until {day_and_time(event.expires_at)}, under the Exceptional Access Policy.\n\n{IF_NOT_YOU}",
        )

    @handles(User.OneTimePasswordIssued)
    def _reissued(self, batch: Batch, event: User.OneTimePasswordIssued) -> None:
        if event.originator_version <= 2:
            return  # the one-time password of the registration: the welcome letter says it all
        self._notify(
            batch,
            event,
            "one_time_password_reissued",
            text_id(event.originator_id),
            "You have been given a new one-time password",
            f"On {day_and_time(event.timestamp)}, your account was given a new one-time password; your old "
            f"password no longer works.\n\n{IF_NOT_YOU}",
        )
