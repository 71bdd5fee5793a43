"""Administrators: the users search (status filter, free text, sortable,
paginated, tick boxes, select all results) and the multiple status and
details changes it leads to, each with a check step and a per-user outcome."""

from __future__ import annotations

import math
from urllib.parse import urlencode
from uuid import UUID

from pydantic import ValidationError
from starlette.responses import Response

from api.console.pages import Errors, Form, render
from api.context import Context
from api.endpoints import reads
from api.problems import ApiProblem
from domain.actors import Role
from domain.errors import UserNotFound
from domain.user import DIRECTORY_FIELDS
from projections import queries

PAGE_SIZE = 50
MAX_SELECTED = 1000  # as many as one multiple change takes (StatusChangeIn)
ACTION_NAMES = {
    "suspend": "Suspend",
    "unsuspend": "Unsuspend",
    "delete": "Delete",
    "undelete": "Undelete",
    "unlock": "Unlock",
    "mark_ex_directory": "Mark ex-directory",
    "unmark_ex_directory": "Unmark ex-directory",
    "change_details": "Change directory details",
}
STATUS_NAMES = {"pending_activation": "Pending activation", "active": "Active", "locked": "Locked", "suspended": "Suspended", "deleted": "Deleted", "ex_directory": "Ex-directory"}
SEARCH_KEYS = ("q", "status", "sort", "descending", "organisation_id")
COLUMNS = [("name", "Name"), ("username", "Username"), ("address", "Address"), ("status", "Status")]


def _query(ctx: Context, values: dict[str, list[str]], page: int = 1) -> reads.UserSearchQuery:
    """The search as the JSON API's ``GET /users`` takes it; a bad value is the page's 400."""
    words = (values.get("q") or [""])[0].strip()
    raw = {
        **({"q": words} if words else {}),  # a blank search box searches everyone; the API refuses an empty q
        "status": values.get("status", []),
        "sort": (values.get("sort") or ["name"])[0],
        "descending": (values.get("descending") or ["false"])[0],
        "organisation_id": (values.get("organisation_id") or [None])[0] or None,
        "limit": PAGE_SIZE,
        "offset": (page - 1) * PAGE_SIZE,
    }
    try:
        return reads.UserSearchQuery.model_validate(raw)
    except ValidationError:
        raise ApiProblem(400, "bad-search", "There is a problem with the search", "the search's filter, sort or page is not one the users search offers") from None


def _page_number(ctx: Context) -> int:
    return _page(ctx.request.query_params.get("page", "1"))


def _page(value: str) -> int:
    """A page number as sent (ASCII digits, within reason), else the first page."""
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) <= 100_000 else 1


def _search_values(ctx: Context) -> dict[str, list[str]]:
    params = ctx.request.query_params
    return {key: params.getlist(key) for key in SEARCH_KEYS}


def _link(values: dict[str, list[str]], **changes: object) -> str:
    merged: dict[str, list[str]] = {**values, **{k: [str(v)] for k, v in changes.items()}}
    return "/console/users?" + urlencode([(k, v) for k, vs in merged.items() for v in vs if v])


def search(ctx: Context, form: Form | None) -> Response:
    return _search_page(ctx, _search_values(ctx), _page_number(ctx), Errors())


def _search_page(ctx: Context, values: dict[str, list[str]], page_number: int, errors: Errors, ticked: frozenset[str] = frozenset(), action: str = "") -> Response:
    query = _query(ctx, values, page_number)
    found = reads.search_users(ctx, query)
    pages = max(1, math.ceil(found.total / PAGE_SIZE))
    sort_links = {
        key: _link(values, sort=key, descending="false" if (query.sort == key and query.descending) or query.sort != key else "true", page=1) for key, _ in COLUMNS
    }
    return render(
        ctx,
        "users.html",
        errors=errors,
        title="Users",
        query=query,
        found=found,
        page_number=page_number,
        pages=pages,
        previous_link=_link(values, page=page_number - 1) if page_number > 1 else None,
        next_link=_link(values, page=page_number + 1) if page_number < pages else None,
        sort_links=sort_links,
        columns=COLUMNS,
        statuses=STATUS_NAMES,
        actions=ACTION_NAMES,
        search_values=values,
        ticked=ticked,
        chosen_action=action,
        organisations=reads.list_organisations(ctx, reads.OrganisationSearchQuery(limit=queries.MAX_LIMIT)).organisations if ctx.principal and ctx.principal.role is Role.SERVICE_ADMINISTRATOR else [],
    )


def _selected(ctx: Context, form: Form, errors: Errors) -> list[queries.UserSummary]:
    """The ticked users, or every result of the search when "select all results" is ticked."""
    if form.get("all_results") == "yes":
        query = _query(ctx, {key: form.all(key) for key in SEARCH_KEYS})
        chosen: list[queries.UserSummary] = []
        while len(chosen) < MAX_SELECTED:
            found = reads.search_users(ctx, query.model_copy(update={"limit": queries.MAX_LIMIT, "offset": len(chosen)}))
            chosen += found.items
            if len(chosen) >= found.total or not found.items:
                break
        if len(chosen) > MAX_SELECTED:
            errors.add("user_id", f"Select at most {MAX_SELECTED} users at once; narrow the search")
        return chosen[:MAX_SELECTED]
    users = []
    for value in form.all("user_id")[: MAX_SELECTED + 1]:
        try:
            users.append(reads.get_user(ctx, UUID(value)))
        except (ValueError, UserNotFound):
            continue  # gone since the search, or not theirs to see: never shown
    if not users:
        errors.add("user_id", "Select at least one user")
    elif len(users) > MAX_SELECTED:
        errors.add("user_id", f"Select at most {MAX_SELECTED} users at once")
    return users


def _details(form: Form) -> dict[str, str]:
    return {name: form.get(f"detail_{name}") for name in DIRECTORY_FIELDS if form.get(f"detail_{name}")}


def change(ctx: Context, form: Form | None) -> Response:
    """The check step: who will change, and how; nothing has changed yet."""
    assert form is not None
    errors = Errors()
    action = form.get("action")
    if action not in ACTION_NAMES:
        errors.add("action", "Choose what to do to the selected users")
    users = _selected(ctx, form, errors)
    details = _details(form)
    if action == "change_details" and form.get("step") == "details" and not details:
        errors.add(f"detail_{DIRECTORY_FIELDS[0]}", "Enter at least one detail to set")
    if errors and "user_id" in errors.by_field or action not in ACTION_NAMES:
        return _search_again(ctx, form, errors)
    # The search travels on through the next steps, so that an error there comes back to it.
    kept = {"search_values": _sent_search(form), "page_number": _sent_page_number(form)}
    if action == "change_details" and (not details or errors):
        return render(ctx, "change_details.html", errors=errors, title="Change directory details", users=users, fields=DIRECTORY_FIELDS, form=form, **kept)
    return render(ctx, "check_change.html", errors=errors, title="Check your answers", users=users, action=action, action_name=ACTION_NAMES[action], details=details, **kept)


def _sent_search(form: Form) -> dict[str, list[str]]:
    return {key: form.all(key) for key in SEARCH_KEYS}


def _sent_page_number(form: Form) -> int:
    return _page(form.get("page"))


def _search_again(ctx: Context, form: Form, errors: Errors) -> Response:
    """The same page of the search again, with the boxes ticked and the action chosen as they were."""
    return _search_page(ctx, _sent_search(form), _sent_page_number(form), errors, frozenset(form.all("user_id")), form.get("action"))


def confirm(ctx: Context, form: Form | None) -> Response:
    """Makes the change, and shows what happened to each user."""
    assert form is not None
    errors = Errors()
    action = form.get("action")
    if action not in ACTION_NAMES:
        errors.add("action", "Choose what to do to the selected users")
    users = _selected(ctx, form, errors)
    if errors:
        return _search_again(ctx, form, errors)
    ids = [u.id for u in users]
    if action == "change_details":
        outcomes = ctx.app.change_details(ctx.actor, ctx.now, ids, _details(form))
    else:
        outcomes = ctx.app.change_statuses(ctx.actor, ctx.now, ids, action)  # refused there, by name
    names = {u.id: u for u in users}
    changed = sum(1 for o in outcomes if o.result == "changed")
    return render(ctx, "outcomes.html", title="What happened", outcomes=outcomes, names=names, action_name=ACTION_NAMES[action], changed=changed)
