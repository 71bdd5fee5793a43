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
and that their password was reset; the decision on an exceptional-access
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

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Index, String, Text, delete, select, update
from sqlalchemy.orm import Session

from domain.grants import GrantingAggregate
from domain.mailbox import Mailbox
from domain.organisation import Organisation
from domain.user import User
from projections.due import stored, utc
from projections.framework import ReadModel, handles

MESSAGE_NAMESPACE = uuid5(NAMESPACE_URL, "https://sema.invalid/outbox")


def message_key(event: Any, recipient_user_id: str) -> str:
    return str(uuid5(MESSAGE_NAMESPACE, f"{event.originator_id}/{event.originator_version}/{recipient_user_id}"))


def day(moment: datetime) -> str:
    return utc(moment).strftime("%d %B %Y")


def day_and_time(moment: datetime) -> str:
    return utc(moment).strftime("%d %B %Y at %H:%M UTC")


class Outbox(ReadModel):
    name = "outbox"

    def define_tables(self) -> None:
        self.messages = self.table(
            "sema_outbox",
            Column("message_key", String(36), primary_key=True),
            Column("seq", BigInteger, nullable=False),
            Column("created_at", DateTime, nullable=False),
            Column("reason", String(50), nullable=False),
            Column("recipient_user_id", String(36), nullable=False),
            Column("recipient", String(320), nullable=False),
            Column("subject", Text, nullable=False),
            Column("body", Text, nullable=False),
            Index(self.index_name("ix_sema_outbox_seq"), "seq"),
        )
        # What the notices need to know, kept from the events.
        self.organisations = self.table(
            "sema_outbox_organisations",
            Column("id", String(36), primary_key=True),
            Column("name", Text, nullable=False),
        )
        self.administrators = self.table(
            "sema_outbox_administrators",
            Column("organisation_id", String(36), primary_key=True),
            Column("user_id", String(36), primary_key=True),
        )
        self.users = self.table(
            "sema_outbox_users",
            Column("id", String(36), primary_key=True),
            Column("first_name", Text, nullable=False),
            Column("last_name", Text, nullable=False),
            Column("secure_address", String(320), nullable=False),
            Column("original_address", String(320)),
            Column("reachable", Boolean, nullable=False),
        )
        self.mailboxes = self.table(
            "sema_outbox_mailboxes",
            Column("id", String(36), primary_key=True),
            Column("organisation_id", String(36), nullable=False),
            Column("owner_id", String(36)),
            Column("name", Text),
            Column("address", String(320)),
        )
        self.requests = self.table(
            "sema_outbox_requests",
            Column("grant_id", String(36), primary_key=True),
            Column("requested_by", String(100), nullable=False),
            Column("reason", Text, nullable=False),
        )

    # ---------------------------------------------------------- what we know

    @handles(Organisation.Registered, appends_only=True)
    def _organisation(self, session: Session, event: Organisation.Registered, notification_id: int) -> None:
        self.insert_later(session, self.organisations, {"id": str(event.originator_id), "name": event.name})

    @handles(Organisation.AdministratorAppointed)
    def _appointed(self, session: Session, event: Organisation.AdministratorAppointed, notification_id: int) -> None:
        session.execute(self.administrators.insert().values(organisation_id=str(event.originator_id), user_id=str(event.user_id)))

    @handles(Organisation.AdministratorRevoked)
    def _revoked(self, session: Session, event: Organisation.AdministratorRevoked, notification_id: int) -> None:
        a = self.administrators.c
        session.execute(delete(self.administrators).where(a.organisation_id == str(event.originator_id), a.user_id == str(event.user_id)))

    @handles(User.Registered, appends_only=True)
    def _user(self, session: Session, event: User.Registered, notification_id: int) -> None:
        self.insert_later(
            session,
            self.users,
            {
                "id": str(event.originator_id),
                "first_name": event.first_name,
                "last_name": event.last_name,
                "secure_address": event.primary_address,
                "original_address": event.original_address,
                "reachable": True,
            },
        )

    @handles(User.LastNameChanged)
    def _last_name(self, session: Session, event: User.LastNameChanged, notification_id: int) -> None:
        session.execute(update(self.users).where(self.users.c.id == str(event.originator_id)).values(last_name=event.last_name))

    @handles(User.SecureAddressChanged)
    def _address(self, session: Session, event: User.SecureAddressChanged, notification_id: int) -> None:
        session.execute(
            update(self.users)
            .where(self.users.c.id == str(event.originator_id))
            .values(secure_address=event.new_address, original_address=event.original_address)
        )

    @handles(User.Deleted, User.Purged)
    def _gone(self, session: Session, event: Any, notification_id: int) -> None:
        session.execute(update(self.users).where(self.users.c.id == str(event.originator_id)).values(reachable=False))

    @handles(User.Undeleted)
    def _back(self, session: Session, event: User.Undeleted, notification_id: int) -> None:
        session.execute(update(self.users).where(self.users.c.id == str(event.originator_id)).values(reachable=True))

    @handles(Mailbox.Created, appends_only=True)
    def _personal_mailbox(self, session: Session, event: Mailbox.Created, notification_id: int) -> None:
        self.insert_later(
            session,
            self.mailboxes,
            {"id": str(event.originator_id), "organisation_id": str(event.organisation_id), "owner_id": str(event.owner_id), "name": None, "address": None},
        )

    @handles(Mailbox.GroupMailboxCreated, appends_only=True)
    def _group_mailbox(self, session: Session, event: Mailbox.GroupMailboxCreated, notification_id: int) -> None:
        self.insert_later(
            session,
            self.mailboxes,
            {"id": str(event.originator_id), "organisation_id": str(event.organisation_id), "owner_id": None, "name": event.name, "address": event.address},
        )

    @handles(Mailbox.ExceptionalAccessRequested, User.ExceptionalAccessRequested, appends_only=True)
    def _requested(self, session: Session, event: GrantingAggregate.ExceptionalAccessRequested, notification_id: int) -> None:
        self.insert_later(session, self.requests, {"grant_id": str(event.grant_id), "requested_by": event.actor_id, "reason": event.reason})

    # -------------------------------------------------------------- notices

    @handles(Mailbox.InactivityAlertSent)
    def _inactivity_alert(self, session: Session, event: Mailbox.InactivityAlertSent, notification_id: int) -> None:
        mailbox = session.execute(select(self.mailboxes).where(self.mailboxes.c.id == str(event.originator_id))).mappings().one()
        organisation = session.execute(select(self.organisations.c.name).where(self.organisations.c.id == mailbox["organisation_id"])).scalar_one()
        if mailbox["owner_id"] is not None:
            owner = self._user_row(session, mailbox["owner_id"])
            which = f"the mailbox of {owner['first_name']} {owner['last_name']} ({owner['secure_address']})"
        else:
            which = f"the group mailbox {mailbox['name']} ({mailbox['address']})"
        admin_ids = session.execute(
            select(self.administrators.c.user_id).where(self.administrators.c.organisation_id == mailbox["organisation_id"]).order_by(self.administrators.c.user_id)
        ).scalars()
        for admin_id in admin_ids:
            self._notify(
                session,
                event,
                notification_id,
                "inactivity_alert",
                admin_id,
                f"Mailbox not used for six months: {mailbox['address'] or owner['secure_address']}",
                f"{which[0].upper()}{which[1:]} in {organisation} has not been used since {day(event.quiet_since)}.\n\n"
                "If the mailbox is no longer needed, consider deleting its user. You will not be alerted "
                "about it again until it has been used and then left unused for another six months.",
            )

    @handles(User.ChallengePassed)
    def _authenticated(self, session: Session, event: User.ChallengePassed, notification_id: int) -> None:
        self._notify(
            session,
            event,
            notification_id,
            "authenticated_by_security_letters",
            str(event.originator_id),
            "An administrator confirmed your identity",
            f"On {day_and_time(event.timestamp)}, {self._actor_name(session, event.actor_id)} confirmed your identity "
            "using letters from your security information.\n\n"
            "If you did not give letters of your security information to an administrator, contact your "
            "organisation's administrators straight away.",
        )

    @handles(User.PasswordReset)
    def _password_reset(self, session: Session, event: User.PasswordReset, notification_id: int) -> None:
        self._notify(
            session,
            event,
            notification_id,
            "password_reset",
            str(event.originator_id),
            "Your password was reset",
            f"On {day_and_time(event.timestamp)}, {self._actor_name(session, event.actor_id)} reset your password. "
            "Your old password no longer works; your administrator gives you a new one-time password, and you "
            "choose your own password when you next log in.\n\n"
            "If you did not ask for this, contact your organisation's administrators straight away.",
        )

    @handles(Mailbox.ExceptionalAccessGranted, User.ExceptionalAccessGranted, Mailbox.ExceptionalAccessRefused, User.ExceptionalAccessRefused)
    def _decided(self, session: Session, event: Any, notification_id: int) -> None:
        granted = isinstance(event, GrantingAggregate.ExceptionalAccessGranted)
        request = session.execute(select(self.requests).where(self.requests.c.grant_id == str(event.grant_id))).mappings().one()
        what = self._grant_subject(session, event)
        if granted:
            decision = f"was granted on {day_and_time(event.timestamp)}; it is in force until {day_and_time(event.expires_at)}."
        else:
            reason = f" The reason given: {event.reason}" if event.reason else ""
            decision = f"was refused on {day_and_time(event.timestamp)}.{reason}"
        self._notify(
            session,
            event,
            notification_id,
            "exceptional_access_granted" if granted else "exceptional_access_refused",
            request["requested_by"],
            f"Exceptional access request {'granted' if granted else 'refused'}",
            f"Your request for exceptional access ({what}) {decision}\n\nYour reason was: {request['reason']}",
        )
        if granted and isinstance(event, Mailbox.ExceptionalAccessGranted):
            owner_id = session.execute(select(self.mailboxes.c.owner_id).where(self.mailboxes.c.id == str(event.originator_id))).scalar_one()
            if owner_id is not None and owner_id != request["requested_by"]:
                self._notify(
                    session,
                    event,
                    notification_id,
                    "mailbox_access_granted_to_owner",
                    owner_id,
                    "Exceptional access to your mailbox has been granted",
                    f"On {day_and_time(event.timestamp)}, a service administrator granted {self._actor_name(session, request['requested_by'])} "
                    f"access to your mailbox until {day_and_time(event.expires_at)}, under the Exceptional Access Policy.\n\n"
                    f"The reason given: {request['reason']}\n\nYou can see every grant on your mailbox when you log in.",
                )

    # -------------------------------------------------------------- helpers

    def _notify(self, session: Session, event: Any, notification_id: int, reason: str, user_id: str, subject: str, body: str) -> None:
        """One row for ``user_id`` if they can receive mail; no row for actors who are not users."""
        user = self._user_row(session, user_id)
        if user is None or not user["reachable"]:
            return
        session.execute(
            self.messages.insert().values(
                message_key=message_key(event, user_id),
                seq=notification_id,
                created_at=stored(event.timestamp),
                reason=reason,
                recipient_user_id=user_id,
                recipient=user["original_address"] or user["secure_address"],
                subject=subject,
                body=f"Dear {user['first_name']} {user['last_name']},\n\n{body}\n\n-- \nSecure eMail administration (an automatic notice)\n",
            )
        )

    def _user_row(self, session: Session, user_id: str) -> Any:
        if not _is_uuid(user_id):
            return None
        return session.execute(select(self.users).where(self.users.c.id == user_id)).mappings().one_or_none()

    def _actor_name(self, session: Session, actor_id: str) -> str:
        user = self._user_row(session, actor_id)
        return f"{user['first_name']} {user['last_name']}, an administrator," if user else "an administrator"

    def _grant_subject(self, session: Session, event: Any) -> str:
        if isinstance(event, (Mailbox.ExceptionalAccessGranted, Mailbox.ExceptionalAccessRefused)):
            owner_id = session.execute(select(self.mailboxes.c.owner_id).where(self.mailboxes.c.id == str(event.originator_id))).scalar_one()
            owner = self._user_row(session, owner_id) if owner_id else None
            return f"access to the mailbox of {owner['first_name']} {owner['last_name']}" if owner else "access to a mailbox"
        user = self._user_row(session, str(event.originator_id))
        return f"reset of the user {user['first_name']} {user['last_name']}" if user else "reset of a user"


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True
