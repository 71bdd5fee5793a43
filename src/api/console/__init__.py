"""The web console: server-rendered pages over the same service layer, queries,
sessions and authorisation as the JSON API (``create_app`` mounts ``CONSOLE``).

Pages live at ``/`` (home) and under ``/console/``; every path is listed here,
top to bottom, as the API's are in ``api.routes``.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from api.console import account, adding, audit, exceptional_access, groups, notices, organisation_details, organisations, people, user_page, users
from api.console.pages import Page
from api.operations import ADMINISTRATORS, AUDITORS, EVERYONE, PEOPLE, PUBLIC, SERVICE
from domain.actors import Role

ORGANISATION_ADMINISTRATOR = frozenset({Role.ORGANISATION_ADMINISTRATOR})

POST = ("GET", "POST")

CONSOLE: list[BaseRoute] = [
    # --- anyone: signing in and out, activation, own account
    Page("/", account.home, EVERYONE),
    Page("/console/sign-in", account.sign_in, PUBLIC, methods=POST),
    Page("/console/sign-out", account.sign_out, EVERYONE, methods=("POST",)),
    Page("/console/activate", account.activate, EVERYONE, methods=POST),
    Page("/console/account", account.account, EVERYONE),
    Page("/console/account/password", account.change_password, EVERYONE, methods=POST),
    Page("/console/account/security-information", account.security_information, EVERYONE, methods=POST),
    Page("/console/account/sessions/end-others", account.end_other_sessions, EVERYONE, methods=("POST",)),
    # --- people: directory, address book, group mailboxes, access to one's own mailbox
    Page("/console/directory", people.directory, PEOPLE),
    Page("/console/address-book", people.address_book, PEOPLE),
    Page("/console/address-book/save", people.save_entry, PEOPLE, methods=("POST",)),
    Page("/console/address-book/remove", people.remove_entry, PEOPLE, methods=("POST",)),
    Page("/console/my-group-mailboxes", people.my_group_mailboxes, PEOPLE),
    Page("/console/my-exceptional-access", people.my_exceptional_access, PEOPLE),
    # --- administrators: users search, multiple changes, adding, one user
    Page("/console/users", users.search, ADMINISTRATORS),
    Page("/console/users/change", users.change, ADMINISTRATORS, methods=("POST",)),
    Page("/console/users/change/confirm", users.confirm, ADMINISTRATORS, methods=("POST",)),
    Page("/console/users/add", adding.add_one, ADMINISTRATORS, methods=POST),
    Page("/console/users/bulk-add", adding.bulk_add, ADMINISTRATORS, methods=POST),
    Page("/console/letters", adding.letters, ADMINISTRATORS, methods=("POST",)),
    Page("/console/users/{user_id}", user_page.show, ADMINISTRATORS),
    Page("/console/users/{user_id}/challenge", user_page.challenge, ADMINISTRATORS, methods=("POST",)),
    Page("/console/users/{user_id}/challenge/answer", user_page.answer, ADMINISTRATORS, methods=("POST",)),
    Page("/console/users/{user_id}/password-reset", user_page.password_reset, ADMINISTRATORS, methods=("POST",)),
    Page("/console/users/{user_id}/one-time-password", user_page.reissue, ADMINISTRATORS, methods=("POST",)),
    Page("/console/users/{user_id}/original-address", user_page.original_address, ADMINISTRATORS, methods=("POST",)),
    Page("/console/users/{user_id}/last-name", user_page.last_name, ADMINISTRATORS, methods=("POST",)),
    Page("/console/users/{user_id}/aliases/remove", user_page.remove_alias, ADMINISTRATORS, methods=("POST",)),
    # --- organisations: an administrator's own; the service administrators' all
    Page("/console/organisation", organisations.own, ORGANISATION_ADMINISTRATOR),
    Page("/console/organisations", organisations.search, SERVICE),
    Page("/console/organisations/new", organisations.register, SERVICE, methods=POST),
    Page("/console/organisations/{organisation_id}", organisations.show, ADMINISTRATORS),
    Page("/console/organisations/{organisation_id}/suspension", organisations.suspension, ADMINISTRATORS, methods=("POST",)),
    Page("/console/organisations/{organisation_id}/name", organisations.rename, SERVICE, methods=("POST",)),
    Page("/console/service-people", organisations.service_people, SERVICE, methods=POST),
    Page("/console/organisations/{organisation_id}/administrators", organisations.administrators, ADMINISTRATORS, methods=("POST",)),
    Page("/console/organisations/{organisation_id}/domains", organisation_details.domains, SERVICE, methods=("POST",)),
    Page("/console/organisations/{organisation_id}/contact", organisation_details.contact, ADMINISTRATORS, methods=("POST",)),
    # --- the service's outbound notices
    Page("/console/notices", notices.overview, SERVICE),
    # --- group mailboxes and distribution lists
    Page("/console/groups", groups.own, ORGANISATION_ADMINISTRATOR),
    Page("/console/organisations/{organisation_id}/groups", groups.overview, ADMINISTRATORS),
    Page("/console/organisations/{organisation_id}/groups", groups.create, ADMINISTRATORS, methods=("POST",)),
    Page("/console/group-mailboxes/{mailbox_id}", groups.mailbox, ADMINISTRATORS),
    Page("/console/group-mailboxes/{mailbox_id}/permissions", groups.permission, ADMINISTRATORS, methods=("POST",)),
    Page("/console/distribution-lists/{list_id}", groups.distribution_list, ADMINISTRATORS),
    Page("/console/distribution-lists/{list_id}", groups.change_list, ADMINISTRATORS, methods=("POST",)),
    Page("/console/distribution-lists/{list_id}/restoration", groups.restore_list, ADMINISTRATORS, methods=("POST",)),
    # --- exceptional access: organisation administrators ask, service administrators decide
    Page("/console/exceptional-access", exceptional_access.overview, ADMINISTRATORS),
    Page("/console/exceptional-access/request", exceptional_access.request, ORGANISATION_ADMINISTRATOR, methods=("POST",)),
    Page("/console/exceptional-access/{grant_id}/decision", exceptional_access.decision, SERVICE, methods=("POST",)),
    Page("/console/exceptional-access/{grant_id}/reset", exceptional_access.reset, ADMINISTRATORS, methods=("POST",)),
    Page("/console/exceptional-access/{grant_id}/revoke", exceptional_access.revoke, ADMINISTRATORS, methods=POST),
    # --- auditors
    Page("/console/audit", audit.home, AUDITORS),
    Page("/console/audit/history", audit.aggregate_history, AUDITORS),
    Page("/console/audit/state", audit.state, AUDITORS),
    Page("/console/audit/verify", audit.verify, AUDITORS),
    Page("/console/audit/export", audit.download, AUDITORS),
    Mount("/console/static", app=StaticFiles(packages=[("api.console", "static")]), name="console-static"),
]
