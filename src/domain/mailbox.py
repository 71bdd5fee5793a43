"""The Mailbox aggregate: personal and group mailboxes of mailbox organisations."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.actors import Actor
from domain.base import From, INACTIVITY_PERIOD, SemaAggregate, updates
from domain.errors import AlreadySo, InvalidValue, MailboxPurged, MailboxRecentlyUsed, MailboxUseOutOfOrder, NoOneToAlert, NotAGroupMailbox, NotAPersonalMailbox
from domain.grants import GrantingAggregate
from domain.naming import check_display_name

PERMISSIONS = ("read", "write", "mail")


class MailboxKind:
    PERSONAL = "personal"
    GROUP = "group"


def _gone(event: SemaAggregate.Event, mailbox: Mailbox) -> None:
    """A mailbox purged, or a group mailbox deleted: gone, with every permission on it."""
    mailbox.purged = True
    mailbox.permissions = {}


class Mailbox(GrantingAggregate):
    grant_kind = "mailbox_access"

    class Created(SemaAggregate.Created):
        organisation_id: UUID
        owner_id: UUID

    class GroupMailboxCreated(SemaAggregate.Created):
        organisation_id: UUID
        name: str
        address: str

    def __init__(self, *, organisation_id: UUID, owner_id: UUID | None = None, name: str | None = None, address: str | None = None) -> None:
        self.grants = {}
        self.organisation_id = organisation_id
        self.owner_id = owner_id
        self.kind = MailboxKind.PERSONAL if owner_id is not None else MailboxKind.GROUP
        self.name = name
        self.address = address
        self.permissions: dict[str, list[str]] = {}
        self.last_used_at: datetime = self.created_on
        self.alerted_for_quiet_since: datetime | None = None
        self.purged = False

    @classmethod
    def create_personal(cls, *, id: UUID, organisation_id: UUID, owner_id: UUID, by: Actor, at: datetime) -> Mailbox:
        return cls._new(cls.Created, id, by, at, organisation_id=organisation_id, owner_id=owner_id)

    @classmethod
    def create_group(cls, *, id: UUID, organisation_id: UUID, name: str, address: str, by: Actor, at: datetime) -> Mailbox:
        return cls._new(cls.GroupMailboxCreated, id, by, at, organisation_id=organisation_id, name=check_display_name(name), address=address)

    class Used(SemaAggregate.Event):
        apply = updates(last_used_at=From("timestamp"))

    class InactivityAlertSent(SemaAggregate.Event):
        quiet_since: datetime
        apply = updates(alerted_for_quiet_since=From("quiet_since"))

    class PermissionGranted(SemaAggregate.Event):
        user_id: UUID
        permission: str

        def apply(self, mailbox: Mailbox) -> None:
            mailbox.permissions.setdefault(str(self.user_id), []).append(self.permission)

    class PermissionRevoked(SemaAggregate.Event):
        user_id: UUID
        permission: str

        def apply(self, mailbox: Mailbox) -> None:
            held = mailbox.permissions[str(self.user_id)]
            held.remove(self.permission)
            if not held:
                del mailbox.permissions[str(self.user_id)]

    class GroupMailboxRenamed(SemaAggregate.Event):
        name: str

        def apply(self, mailbox: Mailbox) -> None:
            mailbox.name = self.name

    class GroupMailboxDeleted(SemaAggregate.Event):
        released_address: str
        apply = _gone

    class Purged(SemaAggregate.Event):
        apply = _gone

    def _require_present(self) -> None:
        if self.purged:
            raise MailboxPurged(mailbox_id=self.id)

    def may_be_used_by(self, user_id: str) -> bool:
        """The owner of a personal mailbox, or a holder of any permission on a group mailbox."""
        return str(self.owner_id) == user_id or user_id in self.permissions

    def record_use(self, by: Actor, at: datetime) -> None:
        self._require_present()
        if at < self.last_used_at:
            raise MailboxUseOutOfOrder(mailbox_id=self.id)
        self._record(self.Used, by, at)

    def inactivity_alert_due(self, at: datetime) -> bool:
        """Six months without use, and no alert yet for this quiet period."""
        return (
            not self.purged
            and at >= self.last_used_at + INACTIVITY_PERIOD
            and self.alerted_for_quiet_since != self.last_used_at
        )

    def send_inactivity_alert(self, by: Actor, at: datetime, *, reachable_administrators: int) -> None:
        """The alert is for the organisation's administrators: it is recorded only
        when at least one of them can receive it (the service's own organisation
        has none), so no alert is ever recorded that nobody reads; it stays due."""
        if self.alerted_for_quiet_since == self.last_used_at:
            raise AlreadySo("the administrators were already alerted for this quiet period")
        if not self.inactivity_alert_due(at):
            raise MailboxRecentlyUsed(mailbox_id=self.id)
        if reachable_administrators < 1:
            raise NoOneToAlert(mailbox_id=self.id, organisation_id=self.organisation_id)
        self._record(self.InactivityAlertSent, by, at, quiet_since=self.last_used_at)

    def request_exceptional_access(self, grant_id: UUID, reason: str, by: Actor, at: datetime) -> None:
        """Exceptional access is to a user's own mailbox, never to a group mailbox."""
        self._require_present()
        if self.kind != MailboxKind.PERSONAL:
            raise NotAPersonalMailbox(mailbox_id=self.id)
        super().request_exceptional_access(grant_id, reason, by, at)

    def grant_exceptional_access(self, grant_id: UUID, expires_at: datetime, by: Actor, at: datetime) -> None:
        self._require_present()
        super().grant_exceptional_access(grant_id, expires_at, by, at)

    def grant_permission(self, user_id: UUID, permission: str, by: Actor, at: datetime) -> None:
        self._require_group()
        check_permission(permission)
        if permission in self.permissions.get(str(user_id), []):
            raise AlreadySo(f"the user already holds {permission} on this group mailbox")
        self._record(self.PermissionGranted, by, at, user_id=user_id, permission=permission)

    def revoke_permission(self, user_id: UUID, permission: str, by: Actor, at: datetime) -> None:
        self._require_group()
        check_permission(permission)
        if permission not in self.permissions.get(str(user_id), []):
            raise AlreadySo(f"the user does not hold {permission} on this group mailbox")
        self._record(self.PermissionRevoked, by, at, user_id=user_id, permission=permission)

    def rename_group(self, name: str, by: Actor, at: datetime) -> None:
        self._require_group()
        name = check_display_name(name)
        if name == self.name:
            raise AlreadySo("the group mailbox already has that name")
        self._record(self.GroupMailboxRenamed, by, at, name=name)

    def delete_group(self, by: Actor, at: datetime) -> None:
        """The group mailbox and its mail go; its address is released."""
        self._require_group()
        assert self.address is not None  # a group mailbox has one
        self._record(self.GroupMailboxDeleted, by, at, released_address=self.address)

    def purge(self, by: Actor, at: datetime) -> None:
        if self.purged:
            raise AlreadySo("the mailbox has already been purged")
        self._record(self.Purged, by, at)

    def _require_group(self) -> None:
        self._require_present()
        if self.kind != MailboxKind.GROUP:
            raise NotAGroupMailbox(mailbox_id=self.id)


def check_permission(permission: str) -> str:
    if permission not in PERMISSIONS:
        raise InvalidValue("permission", f"must be one of {', '.join(PERMISSIONS)}")
    return permission

