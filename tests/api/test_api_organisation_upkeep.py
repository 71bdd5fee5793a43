"""Organisation upkeep over HTTP, as each role does it: the service
administrator renames, adds and removes mail domains and searches; an
organisation administrator keeps contact details and their fellow administrators."""

from __future__ import annotations

import pytest

from testkit.http import Person, activate, add_users, organisation_administrator, register_organisation


def relaying_administrator(service: Person, organisation_id, domain: str, last: str = "Admin") -> Person:
    (created,) = add_users(service, organisation_id, [{"first_name": "Olive", "last_name": last, "original_address": f"olive.{last.lower()}@{domain}"}])
    assert service.put(f"/organisations/{organisation_id}/administrators/{created['user_id']}").status_code == 204
    return activate(service.client, created["username"], created["one_time_password"])


def test_a_service_administrator_renames_an_organisation_and_the_directory_finds_it_by_the_new_name(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (peter,) = add_users(admin, org, [{"first_name": "Peter", "last_name": "Pan"}])
    assert service.patch(f"/organisations/{org}", json={"name": "West Midlands Police"}).status_code == 204
    assert service.get(f"/organisations/{org}").json()["name"] == "West Midlands Police"
    found = admin.get("/directory", params={"q": "Midlands"}).json()["items"]
    assert [(e["id"], e["organisation_name"]) for e in found if e["id"] == peter["user_id"]] == [(peter["user_id"], "West Midlands Police")]
    assert admin.get("/directory", params={"q": "Org Pan"}).json()["items"] == []  # the old name ("Org westmids") no longer finds it
    assert service.patch(f"/organisations/{org}", json={"name": "West Midlands Police"}).json()["type"].endswith("/already-so")
    assert admin.patch(f"/organisations/{org}", json={"name": "Mine now"}).status_code == 403


def test_an_smtp_organisation_gains_a_mail_domain_and_its_users_may_then_be_in_it(client, service):
    org = register_organisation(service, "westmids", "smtp", ["westmids.police.uk"])
    admin = relaying_administrator(service, org, "westmids.police.uk")
    refused = admin.post(f"/organisations/{org}/users", json={"first_name": "Ann", "last_name": "New", "original_address": "ann.new@wmp.example.org"})
    assert refused.status_code == 422
    assert admin.put(f"/organisations/{org}/domains/wmp.example.org").status_code == 403
    assert service.put(f"/organisations/{org}/domains/WMP.example.org").status_code == 204
    assert service.get(f"/organisations/{org}").json()["domains"] == ["westmids.police.uk", "wmp.example.org"]
    added = admin.post(f"/organisations/{org}/users", json={"first_name": "Ann", "last_name": "New", "original_address": "ann.new@wmp.example.org"})
    assert added.status_code == 201, added.text
    assert service.put(f"/organisations/{org}/domains/not a domain").json()["errors"][0]["field"] == "domain"


def test_a_mail_domain_is_removed_but_never_the_last_and_a_mailbox_organisation_has_none(client, service):
    org = register_organisation(service, "gscorg", "gsc", ["a.gsc.gov.uk", "b.gsc.gov.uk"])
    assert service.delete(f"/organisations/{org}/domains/a.gsc.gov.uk").status_code == 204
    last = service.delete(f"/organisations/{org}/domains/b.gsc.gov.uk")
    assert last.status_code == 422 and last.json()["type"].endswith("/last-mail-domain")
    assert service.get(f"/organisations/{org}").json()["domains"] == ["b.gsc.gov.uk"]
    mailbox = register_organisation(service, "probation")
    refused = service.put(f"/organisations/{mailbox}/domains/probation.example.org")
    assert refused.status_code == 422 and refused.json()["type"].endswith("/no-mail-domains-of-its-own")


def test_the_services_own_mail_domain_is_no_organisations_to_list(client, service):
    """An smtp user's original address in the service's domain would relay to one of
    the service's own mailboxes (olive.admin@probation.cjsm.net.cjsm.net -> olive.admin@probation.cjsm.net)."""
    for domains, field in ((["police.example.org", "CJSM.net"], "domains[1]"), (["probation.cjsm.net"], "domains[0]"), (["sub.probation.cjsm.net"], "domains[0]")):
        refused = service.post("/organisations", json={"name": "Rogue", "code": "rogue", "account_type": "smtp", "domains": domains})
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == [field]
        assert "the service's own mail domain cjsm.net" in refused.json()["errors"][0]["message"]
    org = register_organisation(service, "westmids", "smtp", ["westmids.police.uk"])
    for domain in ("cjsm.net", "probation.cjsm.net"):
        refused = service.put(f"/organisations/{org}/domains/{domain}")
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "domain"
    assert service.get(f"/organisations/{org}").json()["domains"] == ["westmids.police.uk"]
    assert service.put(f"/organisations/{org}/domains/cjsm.net.example.org").status_code == 204  # only a lookalike: not the service's


def test_no_two_organisations_list_the_same_mail_domain_nor_one_under_the_others(client, service):
    """Else one organisation's administrators could add users who pass as the other's people."""
    westmids = register_organisation(service, "westmids", "smtp", ["westmids.police.uk", "wmp.example.org"])
    for domains in (["westmids.police.uk"], ["WMP.example.org"], ["police.uk"], ["traffic.westmids.police.uk"]):
        refused = service.post("/organisations", json={"name": "Rogue", "code": "rogue", "account_type": "smtp", "domains": domains})
        assert refused.status_code == 422 and refused.json()["type"].endswith("/mail-domain-taken"), refused.text
        assert "a mail domain of another organisation" in refused.json()["detail"]
    other = register_organisation(service, "staffs", "gsc", ["staffordshire.police.uk"])
    for domain in ("westmids.police.uk", "police.uk", "a.wmp.example.org"):
        refused = service.put(f"/organisations/{other}/domains/{domain}")
        assert refused.status_code == 422 and refused.json()["type"].endswith("/mail-domain-taken")
    assert service.get(f"/organisations/{other}").json()["domains"] == ["staffordshire.police.uk"]
    assert service.put(f"/organisations/{westmids}/domains/traffic.westmids.police.uk").status_code == 204  # its own, under its own
    assert service.delete(f"/organisations/{westmids}/domains/wmp.example.org").status_code == 204
    assert service.put(f"/organisations/{other}/domains/wmp.example.org").status_code == 204  # given up: another may list it


def test_an_organisation_administrator_keeps_their_contact_details_and_cannot_touch_another_organisations(client, service):
    org = register_organisation(service, "westmids")
    other = register_organisation(service, "probation")
    admin = organisation_administrator(service, org)
    contact = {"contact_name": "Duty Inspector", "email": "Duty@WestMids.example.org", "telephone": "0121 626 5000", "postal_address": "Lloyd House, Birmingham"}
    assert admin.put(f"/organisations/{org}/contact", json=contact).status_code == 204
    assert admin.get(f"/organisations/{org}").json()["contact"] == {**contact, "email": "duty@westmids.example.org"}
    assert admin.put(f"/organisations/{other}/contact", json=contact).status_code == 404
    bad = admin.put(f"/organisations/{org}/contact", json={"email": "not an address"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "email"
    assert admin.put(f"/organisations/{org}/contact", json={"contact_name": "Desk"}).status_code == 204
    assert admin.get(f"/organisations/{org}").json()["contact"] == {"contact_name": "Desk", "email": None, "telephone": None, "postal_address": None}


@pytest.mark.both_stores
def test_the_service_administrator_searches_organisations_by_name_type_suspension_and_domain(client, service):
    west = register_organisation(service, "westmids", "smtp", ["westmids.police.uk"])
    gsc = register_organisation(service, "hmrc", "gsc", ["hmrc.gsi.gov.uk"])
    probation = register_organisation(service, "probation")
    admin = organisation_administrator(service, probation)
    assert admin.put(f"/organisations/{probation}/suspension", json={"message": "moving"}).status_code == 204

    def ids(**params):
        response = service.get("/organisations", params=params)
        assert response.status_code == 200, response.text
        return [o["id"] for o in response.json()["organisations"]]

    assert ids(q="westmids") == [str(west)]
    assert ids(q="gsi.gov") == [str(gsc)]
    assert set(ids(account_type=["smtp", "gsc"])) == {str(west), str(gsc)}
    assert ids(suspended="true") == [str(probation)]
    assert ids(domain="hmrc.gsi.gov.uk") == [str(gsc)]
    assert ids(domain="gsi.gov.uk") == []
    page = service.get("/organisations", params={"limit": 1, "offset": 1, "account_type": ["smtp", "gsc", "mailbox"]}).json()
    assert page["total"] == 4 and len(page["organisations"]) == 1  # the service's own organisation is one of them
    assert service.get("/organisations", params={"account_type": "carrier"}).status_code == 422
    # An organisation administrator finds only their own, whatever they ask.
    assert [o["id"] for o in admin.get("/organisations", params={"q": "westmids"}).json()["organisations"]] == []
    assert [o["id"] for o in admin.get("/organisations").json()["organisations"]] == [str(probation)]


@pytest.mark.parametrize("name", ["q", "account_type", "suspended", "domain", "limit", "offset"])
def test_an_organisation_search_parameter_given_empty_is_refused_naming_it(client, service, name):
    register_organisation(service, "westmids")
    response = service.get(f"/organisations?{name}=")
    assert response.status_code == 422, response.text
    assert [e["field"].split(".")[:2] for e in response.json()["errors"]] == [["query", name]]


@pytest.mark.parametrize("name", ["q", "domain"])
def test_an_organisation_search_text_given_blank_is_refused_naming_it(client, service, name):
    response = service.get("/organisations", params={name: "   "})
    assert (response.status_code, [e["field"] for e in response.json()["errors"]]) == (422, [f"query.{name}"])


def test_an_organisation_administrator_appoints_and_revokes_a_fellow_administrator_but_never_the_last(client, service):
    org = register_organisation(service, "westmids")
    other = register_organisation(service, "probation")
    admin = organisation_administrator(service, org)
    (bea,) = add_users(admin, org, [{"first_name": "Bea", "last_name": "Boss"}])
    (stranger,) = add_users(service, other, [{"first_name": "Sam", "last_name": "Elsewhere"}])
    assert admin.put(f"/organisations/{org}/administrators/{bea['user_id']}").status_code == 204
    assert set(admin.get(f"/organisations/{org}").json()["administrator_ids"]) == {str(admin.user_id), bea["user_id"]}
    bea_person = activate(client, bea["username"], bea["one_time_password"])
    assert bea_person.get("/me").json()["role"] == "organisation_administrator"
    # Not someone of another organisation, nor into another organisation.
    assert admin.put(f"/organisations/{org}/administrators/{stranger['user_id']}").status_code == 404  # unknown to them, as an unknown id (ADR 66)
    assert admin.put(f"/organisations/{other}/administrators/{stranger['user_id']}").status_code == 404
    # Bea revokes Olive; then Bea is the last and cannot revoke herself.
    assert bea_person.delete(f"/organisations/{org}/administrators/{admin.user_id}").status_code == 204
    last = bea_person.delete(f"/organisations/{org}/administrators/{bea['user_id']}")
    assert last.status_code == 422 and last.json()["type"].endswith("/last-administrator")
    assert admin.get("/me").json()["role"] == "user"
    # A service administrator may still remove the last one.
    assert service.delete(f"/organisations/{org}/administrators/{bea['user_id']}").status_code == 204


def test_a_deleted_or_suspended_administrator_does_not_count_as_the_one_left(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (bea,) = add_users(admin, org, [{"first_name": "Bea", "last_name": "Boss"}])
    assert admin.put(f"/organisations/{org}/administrators/{bea['user_id']}").status_code == 204
    bea_person = activate(client, bea["username"], bea["one_time_password"])
    for action in ("suspend", "delete"):
        assert bea_person.post("/users/status-changes", json={"action": action, "user_ids": [str(admin.user_id)]}).status_code == 200
        # Olive is still appointed but cannot act: Bea is the last who can, and stays.
        last = bea_person.delete(f"/organisations/{org}/administrators/{bea['user_id']}")
        assert last.status_code == 422 and last.json()["type"].endswith("/last-administrator")
        assert set(service.get(f"/organisations/{org}").json()["administrator_ids"]) == {str(admin.user_id), bea["user_id"]}
        undo = "unsuspend" if action == "suspend" else "undelete"
        assert service.post("/users/status-changes", json={"action": undo, "user_ids": [str(admin.user_id)]}).status_code == 200
