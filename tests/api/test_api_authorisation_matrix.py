"""Every endpoint × every role × own and foreign organisation, with the status each must get.

An organisation administrator reaching into another organisation gets 404, the
same as for something that does not exist (no existence leak); a role that may
not use an endpoint at all gets 403; no session gets 401.
"""

from __future__ import annotations

import base64
import io
import itertools
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import pytest
from testkit.http import ANSWERS, NORMALISED
from starlette.testclient import TestClient

from api.app import create_app
from api.context import ApiSettings
from api.operations import Operation
from api.routes import API
from domain.actors import Actor, Role, system_actor
from domain.user import UserKind
from sema.application import NewUser, SemaApplication
from sema.bootstrap import build_application
from sema.clock import SettableClock
from sema.config import Settings

ROLES = ["anonymous", "user", "organisation_administrator", "service_administrator", "auditor"]


@dataclass
class Principal:
    role: str
    user_id: UUID | None = None
    username: str = ""
    password: str = ""
    organisation_id: UUID | None = None
    mailbox_id: UUID | None = None

    def actor(self) -> Actor:
        return Actor(str(self.user_id), Role(self.role), self.organisation_id)


@dataclass
class World:
    app: SemaApplication
    client: Any
    now: Any
    own: UUID
    foreign: UUID
    principals: dict[str, Principal] = field(default_factory=dict)
    counter: itertools.count = field(default_factory=itertools.count)

    @property
    def sa(self) -> Actor:
        return system_actor("matrix")

    def n(self) -> int:
        return next(self.counter)

    def user(self, organisation_id: UUID, activated: bool = False) -> Any:
        n = self.n()
        (created,) = self.app.add_users(self.sa, self.now, organisation_id, [NewUser(f"Given{n}", f"Family{n}")])
        if activated:
            result = self.app.log_in(created.username, created.one_time_password, self.now)
            self.app.complete_first_log_in(result.actor(), self.now, f"Chosen password {n}!", ANSWERS)
        return created

    def token(self, principal: Principal) -> str:
        response = self.client.post("/session", json={"username": principal.username, "password": principal.password})
        assert response.status_code == 201, response.text
        self.client.cookies.clear()
        return response.json()["token"]


@dataclass
class Call:
    path: str
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    undo: Callable[[Any], None] | None = None  # given the response: puts back what the principals depend on


Build = Callable[[World, Principal, UUID], Call]


def _appointed(w: World, org: UUID) -> Call:
    user_id = w.user(org).user_id
    w.app.appoint_administrator(w.sa, w.now, org, user_id)
    return Call(f"/organisations/{org}/administrators/{user_id}")


def _suspended(w: World, org: UUID) -> Call:
    w.app.suspend_organisation(w.sa, w.now, org, f"away {w.n()}")
    return Call(f"/organisations/{org}/suspension")


def _granted_permission(w: World, org: UUID) -> Call:
    mailbox_id, user_id = _group(w, org), w.user(org).user_id
    w.app.grant_mailbox_permission(w.sa, w.now, mailbox_id, user_id, "read")
    return Call(f"/mailboxes/{mailbox_id}/permissions/{user_id}/read")


def _passed_challenge(w: World, p: Principal, user_id: UUID) -> UUID:
    """A challenge passed with the caller if the caller may, else with the service."""
    actor = p.actor() if p.role in ("organisation_administrator", "service_administrator") else w.sa
    try:
        prompt = w.app.issue_challenge(actor, w.now, user_id)
    except Exception:
        actor = w.sa
        prompt = w.app.issue_challenge(actor, w.now, user_id)
    w.app.answer_challenge(actor, w.now, user_id, prompt.challenge_id, [NORMALISED[q][i - 1] for q, i in prompt.positions])
    return user_id


def _grant(w: World, kind: str, target: UUID, approve: bool = False) -> UUID:
    admin = Actor("system:matrix-requester", Role.SYSTEM)  # four eyes: not the approver
    grant = w.app.request_exceptional_access(admin, w.now, kind, target, "matrix")
    if approve:
        w.app.decide_exceptional_access(w.sa, w.now, kind, target, grant, True)
    return grant


def _session_of(w: World, created: Any) -> str:
    """A live session of a new user (logged in with their one-time password); its id, as
    the service administrator sees it (such a session may not list sessions itself)."""
    w.client.post("/session", json={"username": created.username, "password": created.one_time_password})
    w.client.cookies.clear()
    headers = {"Authorization": f"Bearer {w.token(w.principals['service_administrator'])}"}
    (session,) = w.client.get(f"/users/{created.user_id}/sessions", headers=headers).json()["sessions"]
    return str(session["session_id"])


def _own_other_session(w: World, p: Principal) -> str:
    """Another session of the caller's own, so ending it leaves theirs; anonymous: any id."""
    if p.role == "anonymous":
        return "0" * 20
    session = w.client.post("/session", json={"username": p.username, "password": p.password}).json()
    w.client.cookies.clear()
    return str(_ids_of(w, session["token"])[0])


def _ids_of(w: World, token: str) -> list[str]:
    listed = w.client.get("/me/sessions", headers={"Authorization": f"Bearer {token}"}).json()["sessions"]
    return [s["session_id"] for s in listed if s["current"]]


def _letters(w: World, p: Principal, org: UUID) -> Call:
    """"own": a batch the caller made; "foreign": one another administrator made."""
    admins = ("organisation_administrator", "service_administrator")
    if org == w.own and p.role in admins:
        maker = p
    else:
        maker = w.principals["organisation_administrator" if p.role == "service_administrator" else "service_administrator"]
    headers = {"Authorization": f"Bearer {w.token(maker)}"}
    response = w.client.post(f"/organisations/{maker.organisation_id}/users/bulk", json={"users": [{"first_name": "Letter", "last_name": f"Person{w.n()}"}]}, headers=headers)
    letters = response.json()["letters"]
    return Call(letters["url"], headers={"Sema-Letters-Key": letters["key"]})


def _list(w: World, org: UUID, members: list[UUID] = ()) -> UUID:
    list_id, _ = w.app.create_distribution_list(w.sa, w.now, org, "List", f"list-{w.n()}", list(members))
    return list_id


def _removed_list(w: World, org: UUID) -> Call:
    list_id = _list(w, org)
    w.app.delete_distribution_list(w.sa, w.now, list_id)
    return Call(f"/distribution-lists/{list_id}/restoration")


def _group(w: World, org: UUID) -> UUID:
    mailbox_id, _ = w.app.create_group_mailbox(w.sa, w.now, org, "Group", f"group-{w.n()}")
    return mailbox_id


def _renamed(w: World, org: UUID) -> tuple[UUID, str]:
    created = w.user(org)
    w.app.change_last_name(w.sa, w.now, created.user_id, f"Renamed{w.n()}")
    return created.user_id, created.address


def _password_change(w: World, p: Principal) -> Call:
    """To another password (the same one is refused), changed back once done: the next case logs in with the principal's."""
    changed = f"{p.password} changed"

    def undo(response: Any) -> None:
        if response.status_code == 204:
            w.app.change_password(p.actor(), w.now, changed, p.password)

    return Call("/me/password", {"current_password": p.password, "new_password": changed}, undo=undo)


def _saved_entry(w: World, p: Principal) -> UUID:
    other = w.user(w.own)
    if p.user_id is not None and p.role != "auditor":
        w.app.save_address_book_entry(p.actor(), w.now, "user", other.user_id)
    return other.user_id


BUILDERS: dict[str, Build] = {
    "log_in": lambda w, p, org: Call("/session", {"username": (u := w.user(org)).username, "password": u.one_time_password}),
    "log_out": lambda w, p, org: Call("/session"),
    "me": lambda w, p, org: Call("/me"),
    "security_questions": lambda w, p, org: Call("/security-questions"),
    "activate": lambda w, p, org: Call("/me/activation", {"new_password": "Another password 1", "security_answers": ANSWERS}),
    "change_password": lambda w, p, org: _password_change(w, p),
    "set_security_information": lambda w, p, org: Call("/me/security-information", {"current_password": p.password, "security_answers": ANSWERS}),
    "my_sessions": lambda w, p, org: Call("/me/sessions"),
    "end_my_session": lambda w, p, org: Call(f"/me/sessions/{_own_other_session(w, p)}"),
    "save_address_book_entry": lambda w, p, org: Call("/me/address-book", {"entry_kind": "user", "entry_id": str(w.user(org).user_id)}),
    "remove_address_book_entry": lambda w, p, org: Call(f"/me/address-book/{_saved_entry(w, p)}"),
    "record_mailbox_use": lambda w, p, org: Call(f"/mailboxes/{p.mailbox_id if org == w.own and p.mailbox_id else w.user(org).mailbox_id}/use"),
    "register_organisation": lambda w, p, org: Call("/organisations", {"name": "New", "code": f"new-{w.n()}", "account_type": "mailbox"}),
    "rename_organisation": lambda w, p, org: Call(f"/organisations/{org}", {"name": f"Renamed {w.n()}"}),
    "add_mail_domain": lambda w, p, org: Call(f"/organisations/{org}/domains/d{w.n()}.example.org"),
    "remove_mail_domain": lambda w, p, org: Call(f"/organisations/{org}/domains/d{w.n()}.example.org"),
    "change_contact_details": lambda w, p, org: Call(f"/organisations/{org}/contact", {"contact_name": f"Desk {w.n()}"}),
    "appoint_administrator": lambda w, p, org: Call(f"/organisations/{org}/administrators/{w.user(org).user_id}"),
    "revoke_administrator": lambda w, p, org: _appointed(w, org),
    "suspend_organisation": lambda w, p, org: Call(f"/organisations/{org}/suspension", {"message": f"away {w.n()}"}),
    "unsuspend_organisation": lambda w, p, org: _suspended(w, org),
    "add_user": lambda w, p, org: Call(f"/organisations/{org}/users", {"first_name": "Added", "last_name": f"One{w.n()}"}),
    "bulk_add_users": lambda w, p, org: Call(f"/organisations/{org}/users/bulk", {"users": [{"first_name": "Bulk", "last_name": f"One{w.n()}"}]}),
    "letters_pdf": _letters,
    "add_service_person": lambda w, p, org: Call("/service-people", {"first_name": "Service", "last_name": f"Person{w.n()}", "kind": "auditor"}),
    "change_statuses": lambda w, p, org: Call("/users/status-changes", {"user_ids": [str(w.user(org).user_id)], "action": "suspend"}),
    "change_details": lambda w, p, org: Call("/users/details-changes", {"user_ids": [str(w.user(org).user_id)], "details": {"department": "Custody"}}),
    "change_first_name": lambda w, p, org: Call(f"/users/{w.user(org).user_id}/first-name", {"first_name": f"Changed{w.n()}"}),
    "change_last_name": lambda w, p, org: Call(f"/users/{w.user(org).user_id}/last-name", {"last_name": f"Changed{w.n()}"}),
    "change_original_address": lambda w, p, org: Call(f"/users/{w.user(org).user_id}/original-address", {"original_address": "a.b@example.org"}),
    "remove_alias": lambda w, p, org: Call("/users/{}/aliases/{}".format(*_renamed(w, org))),
    "issue_challenge": lambda w, p, org: Call(f"/users/{w.user(org, activated=True).user_id}/challenges"),
    "answer_challenge": lambda w, p, org: Call(
        f"/users/{(u := w.user(org, activated=True)).user_id}/challenges/{(c := w.app.issue_challenge(w.sa, w.now, u.user_id)).challenge_id}/answer",
        {"letters": [NORMALISED[q][i - 1] for q, i in c.positions]},
    ),
    "user_sessions": lambda w, p, org: Call(f"/users/{w.user(org).user_id}/sessions"),
    "end_user_session": lambda w, p, org: Call(f"/users/{(u := w.user(org)).user_id}/sessions/{_session_of(w, u)}"),
    "reset_password": lambda w, p, org: Call(f"/users/{_passed_challenge(w, p, w.user(org, activated=True).user_id)}/password-reset"),
    "reissue_one_time_password": lambda w, p, org: Call(f"/users/{w.user(org).user_id}/one-time-password"),
    "reset_user": lambda w, p, org: Call(f"/users/{(u := w.user(org, activated=True)).user_id}/reset", {"grant_id": str(_grant(w, "user_reset", u.user_id, approve=True))}),
    "create_group_mailbox": lambda w, p, org: Call(f"/organisations/{org}/group-mailboxes", {"name": "Group", "local_part": f"group-{w.n()}"}),
    "rename_group_mailbox": lambda w, p, org: Call(f"/group-mailboxes/{_group(w, org)}", {"name": "Renamed"}),
    "delete_group_mailbox": lambda w, p, org: Call(f"/group-mailboxes/{_group(w, org)}"),
    "grant_mailbox_permission": lambda w, p, org: Call(f"/mailboxes/{_group(w, org)}/permissions/{w.user(org).user_id}/read"),
    "revoke_mailbox_permission": lambda w, p, org: _granted_permission(w, org),
    "create_distribution_list": lambda w, p, org: Call(f"/organisations/{org}/distribution-lists", {"name": "List", "local_part": f"list-{w.n()}"}),
    "rename_distribution_list": lambda w, p, org: Call(f"/distribution-lists/{_list(w, org)}", {"name": "Renamed"}),
    "add_list_member": lambda w, p, org: Call(f"/distribution-lists/{_list(w, org)}/members/{w.user(w.foreign).user_id}"),
    "remove_list_member": lambda w, p, org: Call(f"/distribution-lists/{_list(w, org, [(u := w.user(org)).user_id])}/members/{u.user_id}"),
    "restore_distribution_list": lambda w, p, org: _removed_list(w, org),
    "change_distribution_list_address": lambda w, p, org: Call(f"/distribution-lists/{_list(w, org)}/address", {"local_part": f"moved-{w.n()}"}),
    "delete_distribution_list": lambda w, p, org: Call(f"/distribution-lists/{_list(w, org)}"),
    "request_mailbox_access": lambda w, p, org: Call(f"/mailboxes/{w.user(org).mailbox_id}/exceptional-access", {"reason": "illness"}),
    "request_user_reset": lambda w, p, org: Call(f"/users/{w.user(org).user_id}/exceptional-access", {"reason": "forgotten answers"}),
    "decide_mailbox_access": lambda w, p, org: Call(f"/mailboxes/{(m := w.user(org).mailbox_id)}/exceptional-access/{_grant(w, 'mailbox_access', m)}/decision", {"approve": True}),
    "decide_user_reset": lambda w, p, org: Call(f"/users/{(u := w.user(org).user_id)}/exceptional-access/{_grant(w, 'user_reset', u)}/decision", {"approve": False, "reason": "no"}),
    "revoke_mailbox_access": lambda w, p, org: Call(f"/mailboxes/{(m := w.user(org).mailbox_id)}/exceptional-access/{_grant(w, 'mailbox_access', m, approve=True)}"),
    "revoke_user_reset": lambda w, p, org: Call(f"/users/{(u := w.user(org).user_id)}/exceptional-access/{_grant(w, 'user_reset', u, approve=True)}"),
    "search_directory": lambda w, p, org: Call("/directory?q=given"),
    "search_users": lambda w, p, org: Call(f"/users?organisation_id={org}&status=pending_activation"),
    "export_users": lambda w, p, org: Call(f"/users/export.csv?organisation_id={org}"),
    "list_notices": lambda w, p, org: Call("/notices"),
    "get_user": lambda w, p, org: Call(f"/users/{w.user(org).user_id}"),
    "get_address_book": lambda w, p, org: Call("/me/address-book"),
    "my_grants": lambda w, p, org: Call("/me/exceptional-access"),
    "my_group_mailboxes": lambda w, p, org: Call("/me/group-mailboxes"),
    "list_grants": lambda w, p, org: Call("/exceptional-access"),
    "get_grant": lambda w, p, org: Call(f"/exceptional-access/{_grant(w, 'mailbox_access', w.user(org).mailbox_id)}"),
    "list_organisations": lambda w, p, org: Call("/organisations"),
    "get_organisation": lambda w, p, org: Call(f"/organisations/{org}"),
    "list_distribution_lists": lambda w, p, org: Call(f"/organisations/{org}/distribution-lists"),
    "list_deleted_distribution_lists": lambda w, p, org: Call(f"/organisations/{org}/deleted-distribution-lists"),
    "get_distribution_list": lambda w, p, org: Call(f"/distribution-lists/{_list(w, org)}"),
    "list_group_mailboxes": lambda w, p, org: Call(f"/organisations/{org}/group-mailboxes"),
    "get_group_mailbox": lambda w, p, org: Call(f"/group-mailboxes/{_group(w, org)}"),
    "route": lambda w, p, org: Call(f"/routing/{w.user(org).address}"),
    # The auditors' endpoints (api.endpoints.audit).
    "audit_events": lambda w, p, org: Call("/audit/events?limit=5"),
    "audit_state": lambda w, p, org: Call(f"/audit/user/{w.user(org).user_id}/state?as_of=2030-01-01T00:00:00Z"),
    "audit_history": lambda w, p, org: Call(f"/audit/user/{w.user(org).user_id}/history"),
    "audit_digest": lambda w, p, org: Call("/audit/digest"),
}

# Where an allowed caller still gets a rule's 422 on the world's principals and organisations.
ALLOWED_BUT_RULED = {
    "activate": 403,  # the principals' sessions are not activation sessions: they are activated
    "change_original_address": 422,  # the organisations are mailbox ones, not smtp/gsc
    "add_mail_domain": 422,  # mailbox organisations have no mail domains of their own
    "remove_mail_domain": 422,  # nor one to remove
}
# Endpoints about the caller alone, or across organisations by design: no "foreign" 404.
NOT_ORGANISATION_SCOPED = {
    "log_in", "log_out", "me", "security_questions", "activate", "change_password", "set_security_information", "my_sessions", "end_my_session",
    "save_address_book_entry", "remove_address_book_entry", "register_organisation", "add_service_person",
    "search_directory", "get_address_book", "my_grants", "my_group_mailboxes", "list_grants", "list_organisations", "route", "list_notices",
    "audit_events", "audit_state", "audit_history", "audit_digest",
}
# Multiple changes answer 200 with a per-user outcome; a foreign user is "refused" like an unknown one.
OUTCOME_LISTS = {"change_statuses", "change_details"}
# Letter batches are for the administrator who made them, service administrators included.
CREATOR_ONLY = {"letters_pdf"}


def expected(op: Operation, role: str, scope: str) -> int:
    if op.roles is None:
        return ALLOWED_BUT_RULED.get(op.name, op.status)
    if role == "anonymous":
        return 401
    if Role(role) not in op.roles:
        return 403
    if scope == "foreign" and op.name in CREATOR_ONLY:
        return 404
    if scope == "foreign" and op.name not in NOT_ORGANISATION_SCOPED and op.name not in OUTCOME_LISTS:
        if role == "organisation_administrator" or (role == "user" and op.name == "record_mailbox_use"):
            return 404
    return ALLOWED_BUT_RULED.get(op.name, op.status)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One store for the whole matrix (SQLite only: it is the expensive test, and the
    rules it checks live above the store); every case makes its own fresh targets."""
    data_dir = tmp_path_factory.mktemp("matrix")
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'sema.db'}",
        secret_key=base64.urlsafe_b64encode(b"matrix key, not for production!!").decode(),
        argon2_time_cost=1,
        argon2_memory_cost=8,
        argon2_parallelism=1,
    )
    app = build_application(settings)
    clock = SettableClock(datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc))
    with TestClient(create_app(app, clock=clock, settings=ApiSettings(secure_cookies=False), log_stream=io.StringIO())) as client:
        yield _populate(app, client, clock)
    app.close()
    app.engine.dispose()


def _populate(app: SemaApplication, client: Any, clock: SettableClock) -> World:
    now = clock.now()
    username, otp = app.bootstrap(now) or ("", "")
    sa = system_actor("matrix")
    own = app.register_organisation(sa, now, name="Own", code="own", account_type="mailbox")
    foreign = app.register_organisation(sa, now, name="Foreign", code="foreign", account_type="mailbox")
    w = World(app, client, now, own, foreign)
    service_org = app.service_organisation_id()

    def principal(role: str, org: UUID, kind: str = UserKind.PERSON, created: Any = None) -> Principal:
        n = w.n()
        if created is None:
            (created,) = app.add_users(sa, now, org, [NewUser(f"Principal{n}", role.replace("_", ""))], kind=kind)
        password = f"Principal password {n}!"
        result = app.log_in(created.username, created.one_time_password, now)
        app.complete_first_log_in(result.actor(), now, password, ANSWERS)
        return Principal(role, created.user_id, created.username, password, org, created.mailbox_id)

    w.principals["anonymous"] = Principal("anonymous")
    w.principals["user"] = principal("user", own)
    admin = principal("organisation_administrator", own)
    app.appoint_administrator(sa, now, own, admin.user_id)
    w.principals["organisation_administrator"] = admin
    w.principals["service_administrator"] = principal("service_administrator", service_org, UserKind.SERVICE_ADMINISTRATOR)
    w.principals["auditor"] = principal("auditor", service_org, UserKind.AUDITOR)
    return w


EVERY_OPERATION = API


def test_every_operation_has_a_case_in_the_matrix():
    assert {op.name for op in EVERY_OPERATION} <= set(BUILDERS)
    assert {op.name for op in EVERY_OPERATION} == set(BUILDERS)


@pytest.mark.parametrize("op", EVERY_OPERATION, ids=lambda op: op.name)
def test_each_role_gets_the_expected_status_on_own_and_foreign_organisations(world: World, op: Operation) -> None:
    failures = []
    for role, scope in itertools.product(ROLES, ["own", "foreign"]):
        p = world.principals[role]
        org = world.own if scope == "own" else world.foreign
        call = BUILDERS[op.name](world, p, org)
        headers = dict(call.headers)
        if role != "anonymous":
            headers["Authorization"] = f"Bearer {world.token(p)}"
        world.client.cookies.clear()  # a log-in case leaves its cookie behind; only the header counts here
        response = world.client.request(op.method, call.path, json=call.json, headers=headers)
        if call.undo is not None:
            call.undo(response)
        want = expected(op, role, scope)
        if response.status_code != want:
            failures.append(f"{role}/{scope}: {response.status_code} (want {want}) {response.text[:200]}")
        elif want == 404 and op.roles is not None:
            # The same answer as for something that does not exist: nothing about the foreign organisation.
            problem = response.json()
            assert problem["type"].endswith("/not-found") and "foreign" not in response.text.lower()
        if op.name in OUTCOME_LISTS and role == "organisation_administrator" and scope == "foreign":
            assert response.json()["outcomes"][0] == {"user_id": call.json["user_ids"][0], "result": "refused", "reason": "no such user in your organisation"}
    assert not failures, "\n".join(failures)
