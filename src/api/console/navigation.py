"""The console's menu: the sections each role finds in the header."""

from __future__ import annotations

from api.context import Context
from domain.actors import Role
from projections import queries

USER, ORG_ADMIN, SERVICE_ADMIN, AUDITOR = Role.USER, Role.ORGANISATION_ADMINISTRATOR, Role.SERVICE_ADMINISTRATOR, Role.AUDITOR
PEOPLE = {USER, ORG_ADMIN, SERVICE_ADMIN}

# (label, path, roles that see it); the first entry is the home page.
MENU: list[tuple[str, str, set[Role]]] = [
    ("Home", "/", {*PEOPLE, AUDITOR}),
    ("Users", "/console/users", {ORG_ADMIN, SERVICE_ADMIN}),
    ("Add users", "/console/users/bulk-add", {ORG_ADMIN, SERVICE_ADMIN}),
    ("Organisation", "/console/organisation", {ORG_ADMIN}),
    ("Groups and lists", "/console/groups", {ORG_ADMIN}),
    ("Organisations", "/console/organisations", {SERVICE_ADMIN}),
    ("Service people", "/console/service-people", {SERVICE_ADMIN}),
    ("Notices", "/console/notices", {SERVICE_ADMIN}),
    ("Exceptional access", "/console/exceptional-access", {ORG_ADMIN, SERVICE_ADMIN}),
    ("Audit", "/console/audit", {AUDITOR, SERVICE_ADMIN}),
    ("Directory", "/console/directory", PEOPLE),
    ("Address book", "/console/address-book", PEOPLE),
    ("Group mailboxes", "/console/my-group-mailboxes", PEOPLE),
    ("Access to my mailbox", "/console/my-exceptional-access", PEOPLE),
    ("Account", "/console/account", {*PEOPLE, AUDITOR}),
]


def menu(ctx: Context) -> list[tuple[str, str]]:
    if ctx.principal is None or ctx.principal.session.must_activate:
        return []
    role = ctx.principal.role
    return [(label, path) for label, path, roles in MENU if role in roles]


def person_name(ctx: Context) -> str:
    """From the read model: one indexed row, not another replay of the person's events."""
    assert ctx.principal is not None
    user_id = ctx.principal.user_id
    with ctx.app.engine.connect() as connection:
        user = queries.get_user_summary(connection, user_id)
    return f"{user.first_name} {user.last_name}" if user is not None else ""
