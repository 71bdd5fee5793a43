"""Who sees whom: the directory for ordinary users, status search for administrators."""

from __future__ import annotations

from datetime import timedelta

from domain.actors import Actor, Role
from projections import queries
from sema.application import NewUser

from testkit.read_side import read


def _mailbox_organisation(app, service_admin, clock, code="org", name="Org One"):
    return app.register_organisation(service_admin, clock.now(), name=name, code=code, account_type="mailbox")


def _admin_of(app, service_admin, clock, organisation_id) -> Actor:
    (admin,) = app.add_users(service_admin, clock.now(), organisation_id, [NewUser("Ada", "Admin")])
    app.appoint_administrator(service_admin, clock.now(), organisation_id, admin.user_id)
    return Actor(str(admin.user_id), Role.ORGANISATION_ADMINISTRATOR, organisation_id)


def _directory_ids(app, text="", **kwargs):
    return {e.id for e in read(app, queries.search_directory, text, limit=500, **kwargs)}


def test_ex_directory_users_are_not_in_the_directory(app, clock, service_admin):
    org = _mailbox_organisation(app, service_admin, clock)
    hidden, shown = app.add_users(service_admin, clock.now(), org, [NewUser("Wendy", "Darling", ex_directory=True), NewUser("Peter", "Pan")])
    assert hidden.user_id not in _directory_ids(app)
    assert hidden.user_id not in _directory_ids(app, "wendy")
    assert shown.user_id in _directory_ids(app, "peter")


def test_marking_a_user_ex_directory_removes_them_from_the_directory_and_unmarking_restores_them(app, clock, service_admin):
    org = _mailbox_organisation(app, service_admin, clock)
    (user,) = app.add_users(service_admin, clock.now(), org, [NewUser("Peter", "Pan")])
    app.change_statuses(service_admin, clock.now(), [user.user_id], "mark_ex_directory")
    assert user.user_id not in _directory_ids(app, "pan")
    app.change_statuses(service_admin, clock.now(), [user.user_id], "unmark_ex_directory")
    assert user.user_id in _directory_ids(app, "pan")


def test_administrators_find_their_own_ex_directory_users_with_status_and_flag(app, clock, service_admin):
    org = _mailbox_organisation(app, service_admin, clock)
    admin = _admin_of(app, service_admin, clock, org)
    (hidden,) = app.add_users(admin, clock.now(), org, [NewUser("Wendy", "Darling", ex_directory=True)])
    page = read(app, queries.search_users, org, text="wendy")
    assert [(u.id, u.status, u.ex_directory) for u in page.items] == [(hidden.user_id, "pending_activation", True)]
    assert read(app, queries.search_users, org, statuses=["ex_directory"]).ids == [hidden.user_id]


def test_an_organisations_users_are_not_in_another_organisations_search(app, clock, service_admin):
    org = _mailbox_organisation(app, service_admin, clock)
    other = _mailbox_organisation(app, service_admin, clock, code="other", name="Other")
    (hidden,) = app.add_users(service_admin, clock.now(), org, [NewUser("Wendy", "Darling", ex_directory=True)])
    assert read(app, queries.search_users, other, text="wendy").total == 0
    assert hidden.user_id in read(app, queries.search_users, None, text="wendy").ids


def test_deleted_users_leave_the_directory_but_are_found_by_status_deleted_with_their_undelete_deadline(app, clock, service_admin):
    org = _mailbox_organisation(app, service_admin, clock)
    (user,) = app.add_users(service_admin, clock.now(), org, [NewUser("Peter", "Pan")])
    app.change_statuses(service_admin, clock.now(), [user.user_id], "delete")
    assert user.user_id not in _directory_ids(app, "peter")
    (found,) = read(app, queries.search_users, org, statuses=["deleted"]).items
    assert (found.id, found.status, found.undeletable_until) == (user.user_id, "deleted", clock.now() + timedelta(days=30))


def test_purged_users_are_gone_from_the_directory_and_from_administrator_search(app, clock, service_admin):
    org = _mailbox_organisation(app, service_admin, clock)
    (user,) = app.add_users(service_admin, clock.now(), org, [NewUser("Peter", "Pan")])
    app.change_statuses(service_admin, clock.now(), [user.user_id], "delete")
    app.purge_user(service_admin, clock.now() + timedelta(days=30), user.user_id)
    assert user.user_id not in _directory_ids(app)
    assert read(app, queries.search_users, org, text="peter").total == 0
    assert read(app, queries.get_user_summary, user.user_id) is None


def test_administrators_filter_by_status(app, clock, service_admin):
    org = _mailbox_organisation(app, service_admin, clock)
    a, b, c = app.add_users(service_admin, clock.now(), org, [NewUser("A", "One"), NewUser("B", "Two"), NewUser("C", "Three")])
    app.change_statuses(service_admin, clock.now(), [a.user_id, c.user_id], "suspend")
    page = read(app, queries.search_users, org, statuses=["suspended"])
    assert (page.total, sorted(page.ids)) == (2, sorted([a.user_id, c.user_id]))


def test_administrator_search_pages_and_sorts_by_name(app, clock, service_admin):
    org = _mailbox_organisation(app, service_admin, clock)
    app.add_users(service_admin, clock.now(), org, [NewUser("X", name) for name in ("Cole", "Abbot", "Baker", "Dunn")])
    first = read(app, queries.search_users, org, limit=2)
    second = read(app, queries.search_users, org, limit=2, offset=2)
    assert first.total == 4
    assert [u.last_name for u in first.items + second.items] == ["Abbot", "Baker", "Cole", "Dunn"]


def test_lists_and_group_mailboxes_are_in_the_directory(app, clock, service_admin):
    org = _mailbox_organisation(app, service_admin, clock)
    list_id, _ = app.create_distribution_list(service_admin, clock.now(), org, "Night Shift", "night-shift")
    mailbox_id, _ = app.create_group_mailbox(service_admin, clock.now(), org, "Enquiries", "enquiries")
    assert _directory_ids(app, "night") == {list_id}
    assert _directory_ids(app, "enquir") == {mailbox_id}


def test_directory_finds_by_prefix_of_name_organisation_address_job_title_and_telephone(app, clock, service_admin):
    org = _mailbox_organisation(app, service_admin, clock, name="West Midlands Police")
    (user,) = app.add_users(
        service_admin, clock.now(), org, [NewUser("Zoë", "O'Brien", directory={"job_title": "Custody Sergeant", "telephone": "0121 555 0199"})]
    )
    for text in ("zoe", "Zoë O'Brien", "west midl", "zoe.obrien@org", "custody serg", "0121 555"):
        assert _directory_ids(app, text) == {user.user_id}, text
    assert _directory_ids(app, "sergeant zebra") == set()


def test_bad_paging_is_refused_naming_the_field(app):
    import pytest

    with pytest.raises(queries.QueryError) as error:
        read(app, queries.search_directory, "x", limit=0)
    assert error.value.field == "limit"
    with pytest.raises(queries.QueryError) as error:
        read(app, queries.search_users, None, statuses=["asleep"])
    assert error.value.field == "statuses"
