"""Random command sequences across every aggregate, several organisations and
advancing time; then the read models kept inline (a) equal the read models
rebuilt from the history (b), and both equal answers computed from the
aggregates' current state (c). Loading aggregates is fine here: they are the oracle."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, example, given, settings, strategies as st

from testkit import START, create_postgres_database, drop_postgres_database, make_settings
from domain.actors import Actor, Role, system_actor
from domain.errors import DomainError
from domain.mailbox import MailboxKind
from domain.user import UserKind
from projections import queries
from projections.search_text import found_in, search_text
from sema.application import NewUser, SemaApplication
from sema.bootstrap import build_application

from testkit.read_side import read, snapshot

FIRST = ["Ann", "Bob", "Zoë", "Dan"]
LAST = ["Lee", "O'Hara", "Smith", "Lee-Jones"]
JOBS = ["Custody Sergeant", "Clerk", "Probation Officer", ""]

index = st.integers(min_value=0, max_value=7)
command = st.one_of(
    st.tuples(st.just("organisation"), st.sampled_from(["mailbox", "smtp"])),
    st.tuples(st.just("add_users"), index, st.lists(st.tuples(st.sampled_from(FIRST), st.sampled_from(LAST), st.booleans(), st.booleans()), min_size=1, max_size=3)),
    st.tuples(st.just("status"), index, st.sampled_from(["suspend", "unsuspend", "delete", "undelete", "mark_ex_directory", "unmark_ex_directory", "unlock"])),
    st.tuples(st.just("lock"), index),
    st.tuples(st.just("administrator"), index, st.booleans()),
    st.tuples(st.just("purge"), index),
    st.tuples(st.just("advance"), st.sampled_from([1, 10, 31])),
    st.tuples(st.just("last_name"), index, st.sampled_from(LAST)),
    st.tuples(st.just("details"), index, st.sampled_from(JOBS)),
    st.tuples(st.just("remove_alias"), index),
    st.tuples(st.just("suspend_organisation"), index, st.sampled_from([None, "down until Monday"])),
    st.tuples(st.just("unsuspend_organisation"), index),
    st.tuples(st.just("list"), index, st.lists(index, max_size=3)),
    st.tuples(st.just("member"), index, index, st.booleans()),
    st.tuples(st.just("rename_list"), index, st.sampled_from(["Night Shift", "Day Team"])),
    st.tuples(st.just("delete_list"), index),
    st.tuples(st.just("group_mailbox"), index),
    st.tuples(st.just("permission"), index, index, st.sampled_from(["read", "write", "mail"]), st.booleans()),
    st.tuples(st.just("exceptional_access"), index, st.sampled_from(["grant", "refuse", "revoke", "pending"])),
    st.tuples(st.just("address_book"), index, index, st.booleans()),
)


# Something of everything first, so random steps have material to work on.
PRELUDE: list[tuple[Any, ...]] = [
    ("organisation", "mailbox"),
    ("organisation", "smtp"),
    ("organisation", "mailbox"),
    ("add_users", 0, [("Ann", "Lee", False, True), ("Bob", "Smith", True, False), ("Zoë", "O'Hara", False, False)]),
    ("add_users", 1, [("Dan", "Lee", False, False), ("Ann", "Smith", False, False)]),
    ("add_users", 2, [("Bob", "Lee-Jones", False, True)]),
    ("list", 0, [0, 3, 5]),
    ("group_mailbox", 0),
    ("permission", 0, 1, "read", True),
    ("exceptional_access", 0, "pending"),
    ("address_book", 1, 0, True),
    ("lock", 2),
    ("administrator", 3, True),
]


class World:
    """The ids the commands made, to pick from."""

    def __init__(self, app: SemaApplication, admin: Actor) -> None:
        self.app = app
        self.admin = admin
        self.at = START
        self.organisations: list[UUID] = []
        self.users: list[UUID] = []
        self.lists: list[UUID] = []
        self.group_mailboxes: list[UUID] = []
        self.grants: list[tuple[UUID, UUID]] = []  # (mailbox id, grant id)
        self.addresses: set[str] = set()

    @staticmethod
    def pick(items: list[Any], i: int) -> Any:
        return items[i % len(items)] if items else None

    def run(self, step: tuple[Any, ...]) -> None:
        try:
            self._run(step)
        except DomainError:
            pass  # refused commands change nothing; the read models must agree

    def _run(self, step: tuple[Any, ...]) -> None:
        app, admin, at, kind = self.app, self.admin, self.at, step[0]
        if kind == "organisation":
            n = len(self.organisations)
            domains = [f"force{n}.gov.uk"] if step[1] == "smtp" else []
            self.organisations.append(app.register_organisation(admin, at, name=f"Organisation {n}", code=f"org{n}", account_type=step[1], domains=domains))
        elif kind == "add_users" and self.organisations:
            org_id = self.pick(self.organisations, step[1])
            organisation = app.get_organisation(org_id)
            rows = []
            for j, (first, last, hidden, old_style) in enumerate(step[2]):
                original = f"{first.lower()}{j}.{len(self.users)}@{organisation.domains[0]}" if organisation.domains else None
                old = f"{first.lower()}{last.lower()}{len(self.users)}{j}-{organisation.code}@cjsm.net" if old_style and not organisation.domains else None
                rows.append(NewUser(first, last, original_address=original, old_style_address=old, ex_directory=hidden, directory={"telephone": f"0121 {len(self.users)}"}))
            for created in app.add_users(admin, at, org_id, rows):
                self.users.append(created.user_id)
                self.addresses.update([created.address, *created.aliases])
        elif kind == "status" and self.users:
            app.change_statuses(admin, at, [self.pick(self.users, step[1])], step[2])
        elif kind == "lock" and self.users:
            user = app.get_user(self.pick(self.users, step[1]))
            for attempt in range(app.settings.max_failed_log_ins):
                try:  # each after log-in throttling's longest wait, so each counts
                    app.log_in(user.username, "wrong password", at + attempt * timedelta(seconds=app.settings.log_in_longest_delay_s))
                except DomainError:
                    pass
        elif kind == "administrator" and self.users:
            user = app.get_user(self.pick(self.users, step[1]))
            change = app.appoint_administrator if step[2] else app.revoke_administrator
            change(admin, at, user.organisation_id, user.id)
        elif kind == "purge" and self.users:
            app.purge_user(admin, at, self.pick(self.users, step[1]))
        elif kind == "advance":
            self.at = at + timedelta(days=step[1])
        elif kind == "last_name" and self.users:
            self.addresses.add(app.change_last_name(admin, at, self.pick(self.users, step[1]), step[2]))
        elif kind == "details" and self.users:
            app.change_details(admin, at, [self.pick(self.users, step[1])], {"job_title": step[2]})
        elif kind == "remove_alias" and self.users:
            user = app.get_user(self.pick(self.users, step[1]))
            if user.aliases:
                app.remove_alias(admin, at, user.id, user.aliases[0])
        elif kind == "suspend_organisation" and self.organisations:
            app.suspend_organisation(admin, at, self.pick(self.organisations, step[1]), step[2])
        elif kind == "unsuspend_organisation" and self.organisations:
            app.unsuspend_organisation(admin, at, self.pick(self.organisations, step[1]))
        elif kind == "list" and self.organisations:
            members = list(dict.fromkeys(self.pick(self.users, i) for i in step[2])) if self.users else []
            list_id, address = app.create_distribution_list(admin, at, self.pick(self.organisations, step[1]), "Team", f"team{len(self.lists)}", members)
            self.lists.append(list_id)
            self.addresses.add(address)
        elif kind == "member" and self.lists and self.users:
            change = app.add_list_member if step[3] else app.remove_list_member
            change(admin, at, self.pick(self.lists, step[1]), self.pick(self.users, step[2]))
        elif kind == "rename_list" and self.lists:
            app.rename_distribution_list(admin, at, self.pick(self.lists, step[1]), step[2])
        elif kind == "delete_list" and self.lists:
            app.delete_distribution_list(admin, at, self.pick(self.lists, step[1]))
        elif kind == "group_mailbox" and self.organisations:
            mailbox_id, address = app.create_group_mailbox(admin, at, self.pick(self.organisations, step[1]), "Desk", f"desk{len(self.group_mailboxes)}")
            self.group_mailboxes.append(mailbox_id)
            self.addresses.add(address)
        elif kind == "permission" and self.group_mailboxes and self.users:
            change = app.grant_mailbox_permission if step[4] else app.revoke_mailbox_permission
            change(admin, at, self.pick(self.group_mailboxes, step[1]), self.pick(self.users, step[2]), step[3])
        elif kind == "exceptional_access" and self.users:
            user = app.get_user(self.pick(self.users, step[1]))
            if user.mailbox_id is None:
                return
            if step[2] == "pending" or not self.grants:
                grant_id = app.request_exceptional_access(admin, at, "mailbox_access", user.mailbox_id, "long illness")
                self.grants.append((user.mailbox_id, grant_id))
                return
            mailbox_id, grant_id = self.grants[step[1] % len(self.grants)]
            if step[2] == "revoke":
                app.revoke_exceptional_access(admin, at, "mailbox_access", mailbox_id, grant_id)
            else:
                app.decide_exceptional_access(system_actor("approver"), at, "mailbox_access", mailbox_id, grant_id, step[2] == "grant", "no")
        elif kind == "address_book" and self.users:
            owner = Actor(str(self.pick(self.users, step[1])), Role.USER)
            entries = [("user", u) for u in self.users] + [("distribution_list", d) for d in self.lists] + [("group_mailbox", g) for g in self.group_mailboxes]
            entry_kind, entry_id = self.pick(entries, step[2])
            if step[3]:
                app.save_address_book_entry(owner, at, entry_kind, entry_id)
            else:
                app.remove_address_book_entry(owner, at, entry_id)


# ------------------------------------------------------------- the oracle


def expected_directory(world: World) -> dict[UUID, tuple[Any, ...]]:
    app, found = world.app, {}
    names = {o: app.get_organisation(o).name for o in world.organisations}
    for user_id in world.users:
        u = app.get_user(user_id)
        if u.kind == UserKind.PERSON and not (u.ex_directory or u.deleted or u.purged):
            found[u.id] = ("user", f"{u.first_name} {u.last_name}", names[u.organisation_id], tuple(u.addresses), u.directory.get("job_title"), u.directory.get("telephone"))
    for list_id in world.lists:
        d = app.get_list(list_id)
        if not (d.deleted or d.removed):  # a removed list waits out its undo period unlisted
            found[d.id] = ("distribution_list", d.name, names[d.organisation_id], (d.address,), None, None)
    for mailbox_id in world.group_mailboxes:
        m = app.get_mailbox(mailbox_id)
        if not m.purged:
            found[m.id] = ("group_mailbox", m.name, names[m.organisation_id], (m.address,), None, None)
    return found


def actual_directory(app: SemaApplication, text: str = "") -> dict[UUID, tuple[Any, ...]]:
    return {
        e.id: (e.kind, e.name, e.organisation_name, e.addresses, e.job_title, e.telephone)
        for e in read(app, queries.search_directory, text, limit=500)
    }


def expected_users(world: World) -> dict[UUID, tuple[Any, ...]]:
    found = {}
    for user_id in world.users:
        u = world.app.get_user(user_id)
        if not u.purged:
            found[u.id] = (u.organisation_id, u.status, u.ex_directory, u.undeletable_until, u.primary_address, tuple(u.aliases), dict(u.directory))
    return found


def actual_users(app: SemaApplication, organisation_id: UUID | None) -> dict[UUID, tuple[Any, ...]]:
    page = read(app, queries.search_users, organisation_id, limit=500)
    return {
        s.id: (s.organisation_id, s.status, s.ex_directory, s.undeletable_until, s.address, s.aliases, s.details)
        for s in page.items
        if s.kind == UserKind.PERSON
    }


def expected_route(world: World, address: str) -> tuple[Any, ...]:
    app = world.app
    for user_id in world.users:
        u = app.get_user(user_id)
        if not u.purged and address in u.addresses:
            organisation = app.get_organisation(u.organisation_id)
            if organisation.suspended:
                return ("return", "organisation_suspended", organisation.suspension_message)
            if u.deleted:
                return ("return", "deleted", None)
            if u.suspended:
                return ("return", "suspended", None)
            return ("relay", u.original_address) if u.original_address else ("deliver", u.mailbox_id)
    for list_id in world.lists:
        d = app.get_list(list_id)
        if not (d.deleted or d.removed) and d.address == address:
            organisation = app.get_organisation(d.organisation_id)
            if organisation.suspended:
                return ("return", "organisation_suspended", organisation.suspension_message)
            members = []
            for member_id in d.members:
                m = app.get_user(UUID(member_id))
                if m.can_receive_mail and not app.get_organisation(m.organisation_id).suspended:
                    members.append(m.primary_address)
            return ("expand", tuple(sorted(members)))
    for mailbox_id in world.group_mailboxes:
        m = app.get_mailbox(mailbox_id)
        if m.address == address:
            organisation = app.get_organisation(m.organisation_id)
            if organisation.suspended:
                return ("return", "organisation_suspended", organisation.suspension_message)
            return ("deliver", m.id)
    return ("return", "unknown", None)


def actual_route(app: SemaApplication, address: str) -> tuple[Any, ...]:
    r = read(app, queries.route, address)
    if r.action == "return":
        return (r.action, r.reason, r.message)
    if r.action == "relay":
        return (r.action, r.relay_to)
    if r.action == "expand":
        return (r.action, r.members)
    return (r.action, r.mailbox_id)


def expected_grants(world: World, mailbox_id: UUID) -> list[tuple[Any, ...]]:
    m = world.app.get_mailbox(mailbox_id)
    return [(g.grant_id, g.state, g.expires_at, g.reason) for g in m.grants.values()]


def actual_grants(app: SemaApplication, mailbox_id: UUID) -> list[tuple[Any, ...]]:
    return [(g.grant_id, g.state, g.expires_at, g.reason) for g in read(app, queries.grants_on_mailbox, mailbox_id)]


def expected_permissions(world: World, mailbox_id: UUID) -> dict[UUID, tuple[str, ...]]:
    m = world.app.get_mailbox(mailbox_id)
    order = {"read": 0, "write": 1, "mail": 2}
    return {UUID(k): tuple(sorted(v, key=order.__getitem__)) for k, v in m.permissions.items()}


def assert_read_models_match_aggregates(world: World) -> None:
    app = world.app
    assert actual_directory(app) == expected_directory(world)
    for text in ("ann", "lee", "o hara", "custody", "organisation 1", "0121 1", "team", "desk", "ustod", "nisat", "ee"):
        wanted = {k: v for k, v in expected_directory(world).items() if found_in(search_text(v[1], v[2], *v[3], v[4], v[5]), text)}
        assert actual_directory(app, text) == wanted, text
    users = expected_users(world)
    for organisation_id in world.organisations:
        assert actual_users(app, organisation_id) == {k: v for k, v in users.items() if v[0] == organisation_id}
    for address in sorted(world.addresses):
        assert actual_route(app, address) == expected_route(world, address), address
    for user_id in world.users:
        u = app.get_user(user_id)
        saved = [(e.entry_kind, e.entry_id) for e in read(app, queries.address_book, user_id)]
        assert saved == [(k, i) for i, k in u.address_book.items()]
    for mailbox_id in world.group_mailboxes:
        view = read(app, queries.group_mailbox, mailbox_id)
        assert view is not None and view.permissions == expected_permissions(world, mailbox_id)
    for mailbox_id in {m for m, _ in world.grants}:
        assert actual_grants(app, mailbox_id) == expected_grants(world, mailbox_id)
    for list_id in world.lists:
        d = app.get_list(list_id)
        view = read(app, queries.distribution_list, list_id)
        assert (view is None) == (d.deleted or d.removed)
        if view is not None:
            assert sorted(m.user_id for m in view.members) == sorted(UUID(m) for m in d.members)
            assert view.name == d.name
    for organisation_id in world.organisations:  # an overview's counts agree with each group's own view
        sizes = read(app, queries.group_sizes, organisation_id)
        for m in read(app, queries.group_mailboxes, organisation_id):
            assert sizes.get(m.id, 0) == len(read(app, queries.group_mailbox, m.id).permissions)
        for d in read(app, queries.distribution_lists, organisation_id):
            assert sizes.get(d.id, 0) == len(read(app, queries.distribution_list, d.id).members)
    organisations = {o.id: (o.suspended, o.suspension_message, set(o.administrator_ids)) for o in read(app, queries.organisations)}
    for organisation_id in world.organisations:
        o = app.get_organisation(organisation_id)
        assert organisations[organisation_id] == (o.suspended, o.suspension_message, {UUID(a) for a in o.administrators})


# ------------------------------------------------------------------- the test


def _fresh_store(kind: str, directory: Path) -> str:
    return f"sqlite:///{directory / 'sema.db'}" if kind == "sqlite" else create_postgres_database()


@settings(max_examples=int(os.environ.get("SEMA_READ_SIDE_EXAMPLES", "5")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(command, min_size=5, max_size=40))
# Paths random sequences reach rarely, always tried:
@example(steps=[("status", 2, "unlock"), ("status", 0, "delete"), ("advance", 31), ("purge", 0), ("add_users", 0, [("Ann", "Lee", False, False)])])
@example(steps=[("last_name", 2, "Smith"), ("remove_alias", 2), ("suspend_organisation", 1, "down"), ("status", 3, "suspend"), ("delete_list", 0)])
@example(steps=[("exceptional_access", 0, "grant"), ("exceptional_access", 0, "revoke"), ("rename_list", 0, "Day Team"), ("member", 0, 1, True), ("member", 0, 0, False)])
def test_incremental_rebuilt_and_aggregate_answers_agree(database_url: str, steps: list[tuple[Any, ...]]) -> None:
    kind = "sqlite" if database_url.startswith("sqlite") else "postgres"
    directory = Path(tempfile.mkdtemp(prefix="sema-read-side-"))
    url = _fresh_store(kind, directory)
    app = build_application(make_settings(url, directory))
    try:
        username, otp = app.bootstrap(START) or ("", "")
        world = World(app, app.log_in(username, otp, START).actor())
        for step in [*PRELUDE, *steps]:
            world.run(step)
        assert_read_models_match_aggregates(world)
        incremental = snapshot(app)
        app.projections.rebuild(batch_size=7)
        assert snapshot(app) == incremental
        assert_read_models_match_aggregates(world)
    finally:
        app.close()
        app.engine.dispose()
        if kind == "postgres":
            drop_postgres_database(url)
        shutil.rmtree(directory, ignore_errors=True)
