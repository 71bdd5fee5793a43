"""The Organisation aggregate's rules, stated without a store."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from aggregate_testkit import ADMIN, ORG, OTHER_ORG, SERVICE_ADMIN, T0, Given, days, then, then_types
from domain.errors import (
    AlreadySo,
    DeletedUserCannotAdminister,
    InvalidValue,
    LastAdministrator,
    LastMailDomain,
    MailboxesNotHosted,
    NoMailDomainsOfItsOwn,
    NotAMemberOfTheOrganisation,
    NotARelayingUser,
)
from domain.organisation import ContactDetails, Organisation
from domain.user import User

JANE = UUID("40000000-0000-0000-0000-000000000001")


def registered(account_type: str = "mailbox", domains: list[str] | None = None) -> Given:
    return Given(Organisation, ORG).event("Registered", by=SERVICE_ADMIN, name="Northshire YOS", code="northshire", account_type=account_type, domains=domains or [])


def user_of(organisation_id: UUID, deleted: bool = False) -> User:
    history = Given(User, JANE).event(
        "Registered", organisation_id=organisation_id, kind="person", username="jane.doe", first_name="Jane", last_name="Doe",
        primary_address="jane.doe@northshire.cjsm.net", original_address=None, old_style_address=None, mailbox_id=None, directory={}, ex_directory=False,
    )
    if deleted:
        history.event("Deleted", undeletable_until=T0 + days(30))
    user: User = history.aggregate()
    return user


@pytest.mark.parametrize(("account_type", "domains", "field"), [("smtp", [], "domains"), ("gsc", [], "domains"), ("mailbox", ["police.uk"], "domains"), ("fax", [], "account_type")])
def test_relaying_organisations_list_their_domains_and_mailbox_ones_none(account_type: str, domains: list[str], field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        Organisation.register(id=uuid4(), name="Org", code="org", account_type=account_type, domains=domains, by=SERVICE_ADMIN, at=T0)
    assert refused.value.field == field


def test_a_present_user_of_the_organisation_is_appointed_administrator_once() -> None:
    organisation = registered().aggregate()
    organisation.appoint_administrator(user_of(ORG), SERVICE_ADMIN, T0)
    assert then(organisation) == [("AdministratorAppointed", {"user_id": JANE})]
    with pytest.raises(AlreadySo):
        organisation.appoint_administrator(user_of(ORG), SERVICE_ADMIN, T0)


def test_a_user_of_another_organisation_or_a_deleted_one_is_not_appointed() -> None:
    organisation = registered().aggregate()
    with pytest.raises(NotAMemberOfTheOrganisation):
        organisation.appoint_administrator(user_of(OTHER_ORG), SERVICE_ADMIN, T0)
    with pytest.raises(DeletedUserCannotAdminister):
        organisation.appoint_administrator(user_of(ORG, deleted=True), SERVICE_ADMIN, T0)
    assert then(organisation) == []


def test_suspension_carries_the_message_for_senders_and_a_new_message_replaces_it() -> None:
    organisation = registered().aggregate()
    organisation.suspend("  our server is down until Monday ", ADMIN, T0)
    with pytest.raises(AlreadySo):
        organisation.suspend("our server is down until Monday", ADMIN, T0)
    organisation.suspend("back on Tuesday", ADMIN, T0)
    assert then(organisation) == [("Suspended", {"message": "our server is down until Monday"}), ("Suspended", {"message": "back on Tuesday"})]


def test_a_suspension_message_has_a_length_limit() -> None:
    with pytest.raises(InvalidValue) as refused:
        registered().aggregate().suspend("x" * 1001, ADMIN, T0)
    assert refused.value.field == "message"


def test_unsuspending_an_organisation_that_is_not_suspended_is_already_so() -> None:
    organisation = registered().event("Suspended", message=None).event("Unsuspended").aggregate()
    with pytest.raises(AlreadySo):
        organisation.unsuspend(ADMIN, T0)


def test_an_original_address_is_relayed_only_in_an_own_domain_of_a_relaying_organisation() -> None:
    smtp = registered("smtp", ["police.gov.uk"]).aggregate()
    assert smtp.relay_address_for("Jane.Doe@police.gov.uk", "cjsm.net") == ("jane.doe@police.gov.uk", "jane.doe@police.gov.uk.cjsm.net")
    assert smtp.relay_address_for("jane@met.police.gov.uk", "cjsm.net")[1] == "jane@met.police.gov.uk.cjsm.net"
    with pytest.raises(InvalidValue):
        smtp.relay_address_for("jane.doe@elsewhere.gov.uk", "cjsm.net")
    with pytest.raises(NotARelayingUser):
        registered().aggregate().relay_address_for("jane.doe@police.gov.uk", "cjsm.net")


def test_only_mailbox_organisations_host_mailboxes() -> None:
    registered().aggregate().require_mailboxes()
    with pytest.raises(MailboxesNotHosted):
        registered("gsc", ["cps.gov.uk"]).aggregate().require_mailboxes()
    assert then_types(registered().aggregate()) == []


def test_renaming_records_the_trimmed_name_once() -> None:
    organisation = registered().aggregate()
    organisation.rename("  Northshire Youth Offending Service ", SERVICE_ADMIN, T0)
    assert then(organisation) == [("Renamed", {"name": "Northshire Youth Offending Service"})]
    with pytest.raises(AlreadySo):
        organisation.rename("Northshire Youth Offending Service", SERVICE_ADMIN, T0)
    with pytest.raises(InvalidValue) as refused:
        organisation.rename("   ", SERVICE_ADMIN, T0)
    assert refused.value.field == "name"


def test_a_relaying_organisation_adds_and_removes_mail_domains_but_keeps_one() -> None:
    organisation = registered("smtp", ["northshire.police.uk"]).aggregate()
    organisation.add_mail_domain("yos.northshire.gov.uk", SERVICE_ADMIN, T0)
    assert organisation.domains == ["northshire.police.uk", "yos.northshire.gov.uk"]
    with pytest.raises(AlreadySo):
        organisation.add_mail_domain("yos.northshire.gov.uk", SERVICE_ADMIN, T0)
    organisation.remove_mail_domain("northshire.police.uk", SERVICE_ADMIN, T0)
    with pytest.raises(LastMailDomain) as refused:
        organisation.remove_mail_domain("yos.northshire.gov.uk", SERVICE_ADMIN, T0)
    assert refused.value.domain == "yos.northshire.gov.uk"
    assert then_types(organisation) == ["MailDomainAdded", "MailDomainRemoved"]
    # Relaying to a removed domain is refused for new addresses.
    with pytest.raises(InvalidValue):
        organisation.relay_address_for("jane@northshire.police.uk", "cjsm.net")


def test_a_mailbox_organisation_has_no_mail_domains_of_its_own() -> None:
    with pytest.raises(NoMailDomainsOfItsOwn):
        registered().aggregate().add_mail_domain("northshire.gov.uk", SERVICE_ADMIN, T0)


def test_contact_details_are_checked_and_recorded_when_they_change() -> None:
    organisation = registered().aggregate()
    contact = ContactDetails.checked(contact_name=" Duty desk ", email="Duty@Northshire.gov.uk", telephone="", postal_address=None)
    assert contact == ContactDetails(contact_name="Duty desk", email="duty@northshire.gov.uk")
    organisation.change_contact_details(contact, ADMIN, T0)
    with pytest.raises(AlreadySo):
        organisation.change_contact_details(contact, ADMIN, T0)
    assert then(organisation) == [("ContactDetailsChanged", {"contact_name": "Duty desk", "email": "duty@northshire.gov.uk", "telephone": None, "postal_address": None})]
    with pytest.raises(InvalidValue) as refused:
        ContactDetails.checked(contact_name=None, email="not an address", telephone=None, postal_address=None)
    assert refused.value.field == "email"


def test_an_organisation_administrator_never_revokes_the_last_administrator_a_service_administrator_may() -> None:
    history = registered().event("AdministratorAppointed", by=SERVICE_ADMIN, user_id=JANE)
    with pytest.raises(LastAdministrator):
        history.aggregate().revoke_administrator(JANE, ADMIN, T0, able=[JANE])
    organisation = history.aggregate()
    organisation.revoke_administrator(JANE, SERVICE_ADMIN, T0, able=[JANE])
    assert then(organisation) == [("AdministratorRevoked", {"user_id": JANE})]
    two = registered().event("AdministratorAppointed", by=SERVICE_ADMIN, user_id=JANE).event("AdministratorAppointed", user_id=UUID(ADMIN.id)).aggregate()
    two.revoke_administrator(JANE, ADMIN, T0, able=[JANE, UUID(ADMIN.id)])
    assert two.administrators == [ADMIN.id]


def test_an_administrator_who_cannot_act_does_not_count_as_the_one_left() -> None:
    two = registered().event("AdministratorAppointed", by=SERVICE_ADMIN, user_id=JANE).event("AdministratorAppointed", user_id=UUID(ADMIN.id))
    with pytest.raises(LastAdministrator):  # Jane is deleted, suspended or purged: not able
        two.aggregate().revoke_administrator(UUID(ADMIN.id), ADMIN, T0, able=[UUID(ADMIN.id)])
    with pytest.raises(LastAdministrator):  # only those appointed count, whoever else is able
        two.aggregate().revoke_administrator(UUID(ADMIN.id), ADMIN, T0, able=[UUID(ADMIN.id), UUID(int=7)])
