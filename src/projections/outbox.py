"""The outbox: the service's email notices, written with the events that cause them.

Kept inline like every read model, so a notice row commits in the same
transaction as its event: no event without its notice, no notice without its
event. Rows are a pure function of the history — each has a key derived from
the event (originator, version) and the recipient — so a rebuild writes the
very same rows; whether a row was delivered is the mailer's own state
(``policies.mailer``), kept apart and never rebuilt, so a rebuild never sends
anything twice.

Notices: the inactive-mailbox alert to the organisation's administrators; to
a user, that an administrator authenticated them by their security letters,
and that their password was reset (with the rest of what happens to their
account: ``projections.account_notices``); the decision on an exceptional-access
request to its requester; a grant of access to a mailbox to its owner.
None carries a secret: the events they come from hold none, and a one-time
password reaches its user on the welcome letter, never by email.

smtp/gsc users are written to at their original address (their secure one
relays there); mailbox users at their secure address. Deleted and purged
users are not written to (mail to them is returned).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from sqlalchemy import BigInteger, Boolean, DateTime, Index, String, Text

from domain.grants import GrantingAggregate
from domain.mailbox import Mailbox
from domain.user import User
from projections.account_notices import AccountNotices, day_and_time
from projections.due import stored, utc
from projections.batch import Batch, Row
from projections.common_tables import Administrators, OrganisationRows
from projections.framework import handles
from projections.tables import ADDRESS, key, optional, required, table, text_id

MESSAGE_NAMESPACE = uuid5(NAMESPACE_URL, "https://sema.invalid/outbox")


def message_key(event: Any, recipient_user_id: str) -> str:
    return str(uuid5(MESSAGE_NAMESPACE, f"{event.originator_id}/{event.originator_version}/{recipient_user_id}"))


def day(moment: datetime) -> str:
    return utc(moment).strftime("%d %B %Y")


class Outbox(AccountNotices, OrganisationRows, Administrators):
    name = "outbox"
    rebuild_cost = 0.85
    # The sender's order; the handlers key messages by message key.
    deferred_indexes = ("ix_sema_outbox_seq",)

    messages = table(
        "sema_outbox",
        key("message_key"),
        required("seq", BigInteger),
        required("created_at", DateTime),
        required("reason", String(50)),
        required("recipient_user_id"),
        required("recipient", ADDRESS),
        required("subject", Text),
        required("body", Text),
        Index("ix_sema_outbox_seq", "seq"),
    )
    # What the notices need to know, kept from the events.
    organisations = table("sema_outbox_organisations", key("id"), required("name", Text))
    administrators = table("sema_outbox_administrators", key("organisation_id"), key("user_id"))
    users = table(
        "sema_outbox_users",
        key("id"),
        required("first_name", Text),
        required("last_name", Text),
        required("secure_address", ADDRESS),
        optional("original_address", ADDRESS),
        required("reachable", Boolean),
    )
    mailboxes = table(
        "sema_outbox_mailboxes", key("id"), required("organisation_id"), optional("owner_id"), optional("name", Text), optional("address", ADDRESS)
    )
    requests = table("sema_outbox_requests", key("grant_id"), required("requested_by", String(100)), required("reason", Text))

    # ---------------------------------------------------------- what we know

    @handles(User.Registered)
    def _user(self, batch: Batch, event: User.Registered) -> None:
        batch.insert(
            self.users,
            {
                "id": text_id(event.originator_id),
                "first_name": event.first_name,
                "last_name": event.last_name,
                "secure_address": event.primary_address,
                "original_address": event.original_address,
                "reachable": True,
            },
        )

    @handles(User.FirstNameChanged)
    def _first_name(self, batch: Batch, event: User.FirstNameChanged) -> None:
        batch.update(self.users, {"id": event.originator_id}, first_name=event.first_name)

    @handles(User.LastNameChanged)
    def _last_name(self, batch: Batch, event: User.LastNameChanged) -> None:
        batch.update(self.users, {"id": event.originator_id}, last_name=event.last_name)

    @handles(User.SecureAddressChanged)
    def _address(self, batch: Batch, event: User.SecureAddressChanged) -> None:
        batch.update(self.users, {"id": event.originator_id}, secure_address=event.new_address, original_address=event.original_address)

    @handles(User.Deleted, User.Purged)
    def _gone(self, batch: Batch, event: User.Deleted | User.Purged) -> None:
        batch.update(self.users, {"id": event.originator_id}, reachable=False)

    @handles(User.Undeleted)
    def _back(self, batch: Batch, event: User.Undeleted) -> None:
        batch.update(self.users, {"id": event.originator_id}, reachable=True)

    @handles(Mailbox.Created, Mailbox.GroupMailboxCreated)
    def _mailbox(self, batch: Batch, event: Mailbox.Created | Mailbox.GroupMailboxCreated) -> None:
        personal = isinstance(event, Mailbox.Created)
        batch.insert(
            self.mailboxes,
            {
                "id": text_id(event.originator_id),
                "organisation_id": text_id(event.organisation_id),
                "owner_id": text_id(event.owner_id) if personal else None,
                "name": None if personal else event.name,
                "address": None if personal else event.address,
            },
        )

    @handles(Mailbox.GroupMailboxRenamed)
    def _group_renamed(self, batch: Batch, event: Mailbox.GroupMailboxRenamed) -> None:
        batch.update(self.mailboxes, {"id": event.originator_id}, name=event.name)

    @handles(Mailbox.ExceptionalAccessRequested, User.ExceptionalAccessRequested)
    def _requested(self, batch: Batch, event: GrantingAggregate.ExceptionalAccessRequested) -> None:
        batch.insert(self.requests, {"grant_id": text_id(event.grant_id), "requested_by": event.actor_id, "reason": event.reason})

    # -------------------------------------------------------------- notices

    @handles(Mailbox.InactivityAlertSent)
    def _inactivity_alert(self, batch: Batch, event: Mailbox.InactivityAlertSent) -> None:
        mailbox = batch.one(self.mailboxes, id=event.originator_id)
        organisation = batch.one(self.organisations, id=mailbox["organisation_id"])["name"]
        if mailbox["owner_id"] is not None:
            owner = self._user_row(batch, mailbox["owner_id"])
            which = f"the mailbox of {owner['first_name']} {owner['last_name']} ({owner['secure_address']})"
        else:
            which = f"the group mailbox {mailbox['name']} ({mailbox['address']})"
        for administrator in batch.rows(self.administrators, organisation_id=mailbox["organisation_id"]):
            admin_id = administrator["user_id"]
            self._notify(
                batch,
                event,
                "inactivity_alert",
                admin_id,
                f"Mailbox not used for six months: {mailbox['address'] or owner['secure_address']}",
                f"{which[0].upper()}{which[1:]} in {organisation} has not been used since {day(event.quiet_since)}.\n\n"
                "If the mailbox is no longer needed, consider deleting its user. You will not be alerted "
                "about it again until it has been used and then left unused for another six months.",
            )

    @handles(User.ChallengePassed)
    def _authenticated(self, batch: Batch, event: User.ChallengePassed) -> None:
        self._notify(
            batch,
            event,
            "authenticated_by_security_letters",
            text_id(event.originator_id),
            "An administrator confirmed your identity",
            f"On {day_and_time(event.timestamp)}, {self._actor_name(batch, event.actor_id)} confirmed your identity "
            "using letters from your security information.\n\n"
            "If you did not give letters of your security information to an administrator, contact your "
            "organisation's administrators straight away.",
        )

    @handles(User.PasswordReset)
    def _password_reset(self, batch: Batch, event: User.PasswordReset) -> None:
        self._notify(
            batch,
            event,
            "password_reset",
            text_id(event.originator_id),
            "Your password was reset",
            f"On {day_and_time(event.timestamp)}, {self._actor_name(batch, event.actor_id)} reset your password. "
            "Your old password no longer works; your administrator gives you a new one-time password, and you "
            "choose your own password when you next log in.\n\n"
            "If you did not ask for this, contact your organisation's administrators straight away.",
        )

    @handles(Mailbox.ExceptionalAccessGranted, User.ExceptionalAccessGranted, Mailbox.ExceptionalAccessRefused, User.ExceptionalAccessRefused)
    def _decided(self, batch: Batch, event: Any) -> None:
        granted = isinstance(event, GrantingAggregate.ExceptionalAccessGranted)
        request = batch.one(self.requests, grant_id=event.grant_id)
        what = self._grant_subject(batch, event)
        if granted:
            decision = f"was granted on {day_and_time(event.timestamp)}; it is in force until {day_and_time(event.expires_at)}."
        else:
            reason = f" The reason given: {event.reason}" if event.reason else ""
            decision = f"was refused on {day_and_time(event.timestamp)}.{reason}"
        self._notify(
            batch,
            event,
            "exceptional_access_granted" if granted else "exceptional_access_refused",
            request["requested_by"],
            f"Exceptional access request {'granted' if granted else 'refused'}",
            f"Your request for exceptional access ({what}) {decision}\n\nYour reason was: {request['reason']}",
        )
        if granted and isinstance(event, Mailbox.ExceptionalAccessGranted):
            owner_id = batch.one(self.mailboxes, id=event.originator_id)["owner_id"]
            if owner_id is not None and owner_id != request["requested_by"]:
                self._notify(
                    batch,
                    event,
                    "mailbox_access_granted_to_owner",
                    owner_id,
                    "Exceptional access to your mailbox has been granted",
                    f"On {day_and_time(event.timestamp)}, a service administrator granted {self._actor_name(batch, request['requested_by'])} "
                    f"access to your mailbox until {day_and_time(event.expires_at)}, under the Exceptional Access Policy.\n\n"
                    f"The reason given: {request['reason']}\n\nYou can see every grant on your mailbox when you log in.",
                )

    # -------------------------------------------------------------- helpers

    def _notify(self, batch: Batch, event: Any, reason: str, user_id: str, subject: str, body: str) -> None:
        """One row for ``user_id`` if they can receive mail; no row for actors who are not users."""
        user = self._user_row(batch, user_id)
        if user is None or not user["reachable"]:
            return
        batch.insert(
            self.messages,
            {
                "message_key": message_key(event, user_id),
                "seq": batch.position,
                "created_at": stored(event.timestamp),
                "reason": reason,
                "recipient_user_id": user_id,
                "recipient": user["original_address"] or user["secure_address"],
                "subject": subject,
                "body": f"Dear {user['first_name']} {user['last_name']},\n\n{body}\n\n-- \nSecure eMail administration (an automatic notice)\n",
            },
        )

    def _user_row(self, batch: Batch, user_id: str) -> Row | None:
        return batch.get(self.users, id=user_id) if _is_uuid(user_id) else None

    def _actor_name(self, batch: Batch, actor_id: str) -> str:
        user = self._user_row(batch, actor_id)
        return f"{user['first_name']} {user['last_name']}, an administrator," if user else "an administrator"

    def _grant_subject(self, batch: Batch, event: Any) -> str:
        if isinstance(event, (Mailbox.ExceptionalAccessGranted, Mailbox.ExceptionalAccessRefused)):
            owner_id = batch.one(self.mailboxes, id=event.originator_id)["owner_id"]
            owner = self._user_row(batch, owner_id) if owner_id else None
            return f"access to the mailbox of {owner['first_name']} {owner['last_name']}" if owner else "access to a mailbox"
        user = self._user_row(batch, text_id(event.originator_id))
        return f"reset of the user {user['first_name']} {user['last_name']}" if user else "reset of a user"


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True
