"""Aggregates as they were at a moment, and their histories told as sentences.

Both read the aggregate's own stored events: the state is the aggregate
reconstructed at the last version whose event happened at or before the
moment; nothing here reads a read model or changes anything."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from pydantic import BaseModel, ConfigDict

from domain.distribution_list import DistributionList
from domain.mailbox import Mailbox
from domain.organisation import Organisation
from domain.user import User
from sema.audit.records import iso, split_topic, to_jsonable
from sema.application import SemaApplication

KINDS: dict[str, type] = {"user": User, "organisation": Organisation, "mailbox": Mailbox, "list": DistributionList}
ROLE_NAMES = {
    "user": "user",
    "organisation_administrator": "organisation administrator",
    "service_administrator": "service administrator",
    "auditor": "auditor",
    "system": "the system",
}


class AuditLookupError(Exception):
    """An id that is not an aggregate of the asked kind, or did not exist yet at the moment."""


def parse_kind(kind: str) -> type:
    try:
        return KINDS[kind]
    except KeyError:
        raise AuditLookupError(f"kind: must be one of {', '.join(KINDS)}, not {kind!r}") from None


def _events(app: SemaApplication, kind: str, aggregate_id: UUID) -> list[DomainEventProtocol[Any]]:
    cls = parse_kind(kind)
    events = [app.mapper.to_domain_event(s) for s in app.recorder.select_events(aggregate_id)]
    if not events or split_topic(events[0])[0] != cls.__name__:
        raise AuditLookupError(f"id: there is no {kind} with id {aggregate_id}")
    return events


def state_as_of(app: SemaApplication, kind: str, aggregate_id: UUID, as_of: datetime) -> dict[str, Any]:
    """The aggregate's state (fields and derived properties) after its events up to ``as_of``, as JSON-ready data."""
    events = _events(app, kind, aggregate_id)
    version = None
    for event in events:
        if event.timestamp > as_of:
            break  # the state as at a moment is the prefix of the history before it
        version = event.originator_version
    if version is None:
        raise AuditLookupError(f"as_of: {kind} {aggregate_id} did not exist yet at {iso(as_of)} (created {iso(events[0].timestamp)})")
    aggregate = app.repository.get(aggregate_id, version=version)
    return {"kind": kind, "id": str(aggregate.id), "as_of": iso(as_of), "version": aggregate.version, "state": describe_state(aggregate)}


def read_subject(kind: str, aggregate_id: UUID, as_of: datetime | None = None) -> list[str]:
    """What a read of one aggregate's history (or state as at ``as_of``) is recorded as reading."""
    return [f"{kind}:{aggregate_id}"] + ([] if as_of is None else [f"as_of:{iso(as_of)}"])


def describe_state(aggregate: Any) -> dict[str, Any]:
    state: dict[str, Any] = {"created_on": to_jsonable(aggregate.created_on), "modified_on": to_jsonable(aggregate.modified_on)}
    state.update({k: to_jsonable(v) for k, v in sorted(vars(aggregate).items()) if not k.startswith("_")})
    for cls in type(aggregate).__mro__:
        if cls.__module__.startswith("eventsourcing"):
            break
        for name, attribute in sorted(vars(cls).items()):
            if isinstance(attribute, property) and not name.startswith("_") and name not in state:
                state[name] = to_jsonable(getattr(aggregate, name))
    return state


# --- history

_PHRASES: dict[str, str] = {
    "Organisation.Registered": "registered the organisation {name} ({code}, {account_type})",
    "Organisation.AdministratorAppointed": "appointed {user} administrator of the organisation",
    "Organisation.AdministratorRevoked": "revoked {user} as administrator of the organisation",
    "Organisation.Suspended": "suspended the organisation",
    "Organisation.Unsuspended": "unsuspended the organisation",
    "Organisation.Renamed": "renamed the organisation to {name}",
    "Organisation.MailDomainAdded": "added the mail domain {domain}",
    "Organisation.MailDomainRemoved": "removed the mail domain {domain}",
    "Organisation.ContactDetailsChanged": "changed the contact details",
    "User.Registered": "registered the user {username} <{primary_address}>",
    "User.OneTimePasswordIssued": "issued a one-time password valid until {expires_at}",
    "User.OneTimePasswordExpired": "expired the one-time password",
    "User.Activated": "activated the account",
    "User.PasswordChanged": "changed the password",
    "User.SecurityInformationSet": "set the security information",
    "User.LoggedIn": "logged in",
    "User.LogInFailed": "failed to log in ({consecutive_failures} in a row)",
    "User.Locked": "locked the account: {reason}",
    "User.Unlocked": "unlocked the account",
    "User.Suspended": "suspended the user",
    "User.Unsuspended": "unsuspended the user",
    "User.Deleted": "deleted the user (can be undeleted until {undeletable_until})",
    "User.Undeleted": "undeleted the user",
    "User.Purged": "purged the user, releasing {released_addresses}",
    "User.MarkedExDirectory": "marked the user ex-directory",
    "User.UnmarkedExDirectory": "took the user off ex-directory",
    "User.FirstNameChanged": "changed the first name to {first_name}",
    "User.LastNameChanged": "changed the last name to {last_name}",
    "User.SecureAddressChanged": "changed the secure address from {old_address} to {new_address}",
    "User.AliasRemoved": "removed the alias {address}",
    "User.ChallengeIssued": "issued an authentication challenge ({positions})",
    "User.ChallengePassed": "passed the authentication challenge",
    "User.ChallengeFailed": "failed the authentication challenge ({consecutive_failures} in a row)",
    "User.ChallengeExpired": "let the authentication challenge expire",
    "User.PasswordReset": "reset the password",
    "User.UserReset": "reset the user under exceptional access",
    "User.AddressBookEntrySaved": "saved a {entry_kind} to the address book",
    "User.AddressBookEntryRemoved": "removed an entry from the address book",
    "Mailbox.Created": "created the personal mailbox of {owner}",
    "Mailbox.InactivityAlertSent": "alerted the administrators that the mailbox has been unused since {quiet_since}",
    "Mailbox.GroupMailboxCreated": "created the group mailbox {name} <{address}>",
    "Mailbox.Used": "used the mailbox",
    "Mailbox.PermissionGranted": "granted {user} the {permission} permission",
    "Mailbox.PermissionRevoked": "revoked {user}'s {permission} permission",
    "Mailbox.Purged": "purged the mailbox",
    "Mailbox.GroupMailboxRenamed": "renamed the group mailbox to {name}",
    "Mailbox.GroupMailboxDeleted": "deleted the group mailbox, releasing {released_address}",
    "DistributionList.Created": "created the list {name} <{address}>",
    "DistributionList.Renamed": "renamed the list to {name}",
    "DistributionList.MemberAdded": "added {user} to the list",
    "DistributionList.MemberRemoved": "removed {user} from the list",
    "DistributionList.Deleted": "deleted the list, releasing {released_address}",
    "DistributionList.AddressChanged": "changed the list's address from {old_address} to {new_address}",
    "DistributionList.Removed": "deleted the list (can be restored until {restorable_until})",
    "DistributionList.Restored": "restored the list <{address}>",
}
# Exceptional access reads the same on users and mailboxes.
for _aggregate in ("User", "Mailbox"):
    _PHRASES.update(
        {
            f"{_aggregate}.ExceptionalAccessRequested": "requested exceptional access ({kind}): {reason}",
            f"{_aggregate}.ExceptionalAccessGranted": "granted exceptional access until {expires_at}",
            f"{_aggregate}.ExceptionalAccessRefused": "refused exceptional access: {reason}",
            f"{_aggregate}.ExceptionalAccessRevoked": "revoked exceptional access",
            f"{_aggregate}.ExceptionalAccessExpired": "ended the exceptional access, expired",
        }
    )


class HistoryLine(BaseModel):
    # One event of an aggregate's history, told as a sentence: `sema audit history`
    # prints them, GET /audit/{kind}/{id}/history returns them.
    model_config = ConfigDict(frozen=True)

    version: int
    time: str
    actor_id: str | None
    actor: str
    event_type: str
    sentence: str

    def __str__(self) -> str:
        return self.sentence


class Names:
    """Actor and user ids to usernames, read from each user's first event (Registered)."""

    def __init__(self, app: SemaApplication) -> None:
        self.app = app
        self.known: dict[str, str] = {}

    def username(self, user_id: object) -> str:
        key = str(user_id)
        if key not in self.known:
            self.known[key] = self._lookup(key)
        return self.known[key]

    def _lookup(self, key: str) -> str:
        if key.startswith("system:"):
            return f"the {key.removeprefix('system:').replace('_', ' ')} process"
        try:
            stored = self.app.recorder.select_events(UUID(key), limit=1)
        except ValueError:
            return key
        if stored:
            event = self.app.mapper.to_domain_event(stored[0])
            username = getattr(event, "username", None)
            if isinstance(username, str):
                return username
        return key

    def actor(self, event: DomainEventProtocol[Any]) -> str:
        actor_id, role = getattr(event, "actor_id", None), getattr(event, "actor_role", None)
        if actor_id is None:
            return "someone unrecorded"
        name = self.username(actor_id)
        if role == "system" or actor_id.startswith("system:"):
            return name
        return f"{name} ({ROLE_NAMES.get(str(role), str(role))})"


def _words(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


def _sentence(event: DomainEventProtocol[Any], names: Names) -> str:
    aggregate_type, event_type = split_topic(event)
    template = _PHRASES.get(f"{aggregate_type}.{event_type}")
    data = {k: _readable(v) for k, v in vars(event).items()}
    for field in ("user_id", "owner_id"):
        if getattr(event, field, None) is not None:
            data[field.removesuffix("_id")] = names.username(getattr(event, field))
    if event_type == "ChallengeIssued":
        data["positions"] = ", ".join(f"letter {n} of {_words(str(q).replace('_', ' '))}" for q, n in getattr(event, "positions", []))
    if template is None:
        return _words(event_type)
    try:
        return template.format(**data)
    except (KeyError, IndexError):
        return _words(event_type)


def _readable(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (list, tuple)):
        return ", ".join(_readable(v) for v in value) or "nothing"
    if value is None:
        return "—"
    return str(value)


def history(app: SemaApplication, kind: str, aggregate_id: UUID) -> list[HistoryLine]:
    """One line per event of the aggregate, oldest first: when, who (name and role), what."""
    names = Names(app)
    lines = []
    for event in _events(app, kind, aggregate_id):
        when = event.timestamp.strftime("%Y-%m-%d %H:%M")
        actor = names.actor(event)
        _, event_type = split_topic(event)
        text = _sentence(event, names)
        if event_type == "Suspended" and getattr(event, "message", None):
            text += f" (message: {event.message})"
        lines.append(
            HistoryLine(
                version=event.originator_version,
                time=iso(event.timestamp),
                actor_id=getattr(event, "actor_id", None),
                actor=actor,
                event_type=event_type,
                sentence=f"{when} {actor} {text}",
            )
        )
    return lines
