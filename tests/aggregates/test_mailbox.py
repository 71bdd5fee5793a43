"""The Mailbox aggregate's rules, stated without a store: use, the inactivity
alert, group permissions, exceptional access."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest
from dateutil.relativedelta import relativedelta

from aggregate_testkit import ADMIN, ORG, SERVICE_ADMIN, SYSTEM, T0, Given, days, then, then_types
from domain.errors import (
    AlreadySo,
    GrantInAnotherState,
    GrantStillRunning,
    InvalidValue,
    MailboxPurged,
    MailboxRecentlyUsed,
    MailboxUseOutOfOrder,
    NoOneToAlert,
    NotAGroupMailbox,
    NotAPersonalMailbox,
)
from domain.mailbox import Mailbox

OWNER = UUID("50000000-0000-0000-0000-000000000001")
MEMBER = UUID("50000000-0000-0000-0000-000000000002")
SIX_MONTHS = relativedelta(months=6)


def personal() -> Given:
    return Given(Mailbox).event("Created", organisation_id=ORG, owner_id=OWNER)


def group() -> Given:
    return Given(Mailbox).event("GroupMailboxCreated", organisation_id=ORG, name="Enquiries", address="enquiries@org.cjsm.net")


def test_use_is_recorded_in_time_order_only() -> None:
    mailbox = personal().event("Used", at=T0 + days(3)).aggregate()
    with pytest.raises(MailboxUseOutOfOrder):
        mailbox.record_use(SYSTEM, T0 + days(2))
    mailbox.record_use(SYSTEM, T0 + days(4))
    assert then_types(mailbox) == ["Used"]


def test_one_alert_after_six_quiet_months_then_none_until_used_and_quiet_again() -> None:
    history = personal()
    with pytest.raises(MailboxRecentlyUsed):
        history.aggregate().send_inactivity_alert(SYSTEM, T0 + SIX_MONTHS - timedelta(seconds=1), reachable_administrators=1)
    mailbox = history.aggregate()
    mailbox.send_inactivity_alert(SYSTEM, T0 + SIX_MONTHS, reachable_administrators=1)
    assert then(mailbox) == [("InactivityAlertSent", {"quiet_since": T0})]
    with pytest.raises(AlreadySo):
        mailbox.send_inactivity_alert(SYSTEM, T0 + SIX_MONTHS * 2, reachable_administrators=1)
    mailbox.record_use(SYSTEM, T0 + days(200))
    assert mailbox.inactivity_alert_due(T0 + days(200) + SIX_MONTHS)


def test_no_alert_is_recorded_when_no_administrator_can_receive_it_and_it_stays_due() -> None:
    mailbox = personal().aggregate()
    with pytest.raises(NoOneToAlert) as refused:
        mailbox.send_inactivity_alert(SYSTEM, T0 + SIX_MONTHS, reachable_administrators=0)
    assert refused.value.organisation_id == ORG
    assert then(mailbox) == []
    assert mailbox.inactivity_alert_due(T0 + SIX_MONTHS)


def test_permissions_are_held_on_group_mailboxes_only_and_from_the_list() -> None:
    with pytest.raises(NotAGroupMailbox):
        personal().aggregate().grant_permission(MEMBER, "read", ADMIN, T0)
    mailbox = group().aggregate()
    with pytest.raises(InvalidValue) as refused:
        mailbox.grant_permission(MEMBER, "delete", ADMIN, T0)
    assert refused.value.field == "permission"
    mailbox.grant_permission(MEMBER, "read", ADMIN, T0)
    with pytest.raises(AlreadySo):
        mailbox.grant_permission(MEMBER, "read", ADMIN, T0)
    mailbox.revoke_permission(MEMBER, "read", ADMIN, T0)
    assert then(mailbox) == [("PermissionGranted", {"user_id": MEMBER, "permission": "read"}), ("PermissionRevoked", {"user_id": MEMBER, "permission": "read"})]
    assert mailbox.permissions == {}


def test_a_purged_mailbox_is_neither_used_nor_alerted() -> None:
    mailbox = personal().event("Purged", by=SYSTEM).aggregate()
    with pytest.raises(MailboxPurged):
        mailbox.record_use(SYSTEM, T0 + days(1))
    assert not mailbox.inactivity_alert_due(T0 + SIX_MONTHS * 3)


def test_no_exceptional_access_is_asked_for_or_granted_to_a_purged_mailbox() -> None:
    mailbox = personal().event("Purged", by=SYSTEM).aggregate()
    with pytest.raises(MailboxPurged):
        mailbox.request_exceptional_access(uuid4(), "sudden departure", ADMIN, T0 + days(31))
    grant = uuid4()
    mailbox = personal().event("ExceptionalAccessRequested", grant_id=grant, kind="mailbox_access", reason="sudden departure").event("Purged", by=SYSTEM).aggregate()
    with pytest.raises(MailboxPurged):
        mailbox.grant_exceptional_access(grant, T0 + days(60), SERVICE_ADMIN, T0 + days(31))
    assert then(mailbox) == []


def test_exceptional_access_is_to_a_personal_mailbox_and_needs_a_reason() -> None:
    with pytest.raises(NotAPersonalMailbox):
        group().aggregate().request_exceptional_access(uuid4(), "long illness", ADMIN, T0)
    with pytest.raises(InvalidValue) as refused:
        personal().aggregate().request_exceptional_access(uuid4(), "   ", ADMIN, T0)
    assert refused.value.field == "reason"


def test_a_grant_runs_until_it_expires_and_is_decided_once() -> None:
    grant = uuid4()
    requested = personal().event("ExceptionalAccessRequested", grant_id=grant, kind="mailbox_access", reason="long illness")
    granted = requested.event("ExceptionalAccessGranted", by=SERVICE_ADMIN, grant_id=grant, expires_at=T0 + days(30))
    with pytest.raises(GrantStillRunning):
        granted.aggregate().expire_exceptional_access(grant, SYSTEM, T0 + days(29))
    with pytest.raises(AlreadySo):
        granted.aggregate().grant_exceptional_access(grant, T0 + days(30), SERVICE_ADMIN, T0)
    mailbox = granted.aggregate()
    mailbox.expire_exceptional_access(grant, SYSTEM, T0 + days(30))
    assert then_types(mailbox) == ["ExceptionalAccessExpired"]
    with pytest.raises(GrantInAnotherState):
        mailbox.revoke_exceptional_access(grant, ADMIN, T0 + days(31))
    assert not mailbox.grant(grant).in_force(T0 + days(1))


def test_a_group_mailbox_is_renamed_and_deleted_releasing_its_address_and_a_personal_one_is_neither() -> None:
    mailbox = group().event("PermissionGranted", user_id=MEMBER, permission="read").aggregate()
    mailbox.rename_group(" Reception ", ADMIN, T0)
    with pytest.raises(AlreadySo):
        mailbox.rename_group("Reception", ADMIN, T0)
    mailbox.delete_group(ADMIN, T0)
    assert then(mailbox) == [("GroupMailboxRenamed", {"name": "Reception"}), ("GroupMailboxDeleted", {"released_address": "enquiries@org.cjsm.net"})]
    assert mailbox.permissions == {} and not mailbox.may_be_used_by(str(MEMBER))
    with pytest.raises(MailboxPurged):
        mailbox.delete_group(ADMIN, T0)
    with pytest.raises(NotAGroupMailbox):
        personal().aggregate().rename_group("Mine", ADMIN, T0)
    with pytest.raises(NotAGroupMailbox):
        personal().aggregate().delete_group(ADMIN, T0)
