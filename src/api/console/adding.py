"""Administrators: adding one user, adding users in bulk from a CSV upload
(a dry run first, showing every bad row and field), and downloading the
welcome letters. The letters' key travels only in a POSTed form, never in a URL."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from starlette.responses import Response

from api.console.pages import Errors, Form, error_page, render
from api.console.wording import plain
from api.context import Context
from api.idempotency import Reservation
from api.endpoints import reads
from api.endpoints.users import add_csv, add_rows, letters_response, refuse_rows
from api.problems import ApiProblem, validation_errors
from api.schemas import NewUserIn
from domain.actors import Role
from domain.errors import BulkValidationFailed, DomainError, OrganisationNotFound
from domain.organisation import AccountType
from domain.user import DIRECTORY_FIELDS
from projections import queries

MAX_CSV_BYTES = 2 * 1024 * 1024
EXAMPLE_HEADER = "first_name,last_name,original_address,old_style_address,ex_directory," + ",".join(DIRECTORY_FIELDS)


def _organisations(ctx: Context) -> list[queries.OrganisationView]:
    """Where this administrator may add users: their own organisation, or (service) any."""
    return reads.list_organisations(ctx, reads.OrganisationSearchQuery(limit=queries.MAX_LIMIT)).organisations


def _organisation_id(ctx: Context, form: Form, errors: Errors) -> UUID | None:
    assert ctx.principal is not None
    if ctx.principal.role is Role.ORGANISATION_ADMINISTRATOR:
        return ctx.principal.organisation_id
    try:
        organisation_id = UUID(form.get("organisation_id"))
        reads.get_organisation(ctx, organisation_id)
    except (ValueError, OrganisationNotFound):
        errors.add("organisation_id", "Choose the organisation to add users to")
        return None
    return organisation_id


def _row_problems(error: ApiProblem | DomainError) -> list[dict[str, Any]]:
    """Each fault as the page's table shows it: where (a row's number, or the header or
    the whole file for a fault of the file), the column, and what is wrong."""
    if isinstance(error, ApiProblem):  # the CSV's rows, checked as the API checks them, in the console's words
        found = [(problem.get("row"), problem.get("field", "file"), plain(problem.get("field", ""), problem["message"])) for problem in error.errors or []]
    elif isinstance(error, BulkValidationFailed):
        found = [(e["row"], e["field"], e["message"]) for e in error.errors]
    else:
        found = [(None, "file", error.message)]
    problems = []
    for row, field, message in found:
        header, _, column = field.partition(".") if field.startswith("header.") else ("", "", field)
        where = str(row) if row else "Header" if header else "Whole file"
        problems.append({"row": row, "where": where, "field": column, "message": message})
    return problems


def bulk_add(ctx: Context, form: Form | None) -> Response:
    """Upload → dry run (every bad row and field, or who would be added) → add → letters."""
    errors = Errors()
    problems: list[dict[str, Any]] = []
    status = 200
    would_add = None
    content = b""
    if form is not None:
        organisation_id = _organisation_id(ctx, form, errors)
        filename, content = form.files.get("file", ("", b""))
        if not content and form.get("content"):
            content = form.raw("content").encode()  # the file checked on the page before
        # No file chosen sends no name; a chosen file that is empty is checked as the API checks it.
        if not content and not filename:
            errors.add("file", "Choose a CSV file of users to add")
        elif len(content) > MAX_CSV_BYTES:
            errors.add("file", "The file must be smaller than 2 MB")
        if not errors and organisation_id is not None:
            dry_run = form.get("add") != "yes"
            # The checked file's "Add" sent twice (a double click, Back and resubmit) adds the
            # users once: the second gets the first's page again (the API's Idempotency-Key).
            try:
                reservation = _reserve(ctx, form, organisation_id, content) if not dry_run else None
            except ApiProblem as problem:
                if problem.status == 409:
                    return error_page(ctx, 409, "These users are still being added", "The first press of the button is still being dealt with. Wait a moment, then reload the page.")
                return error_page(ctx, problem.status, "This form was already used", "Choose the file again to add users.")
            if isinstance(reservation, Response):
                return reservation
            try:
                result = add_csv(ctx, organisation_id, content, dry_run=dry_run)
            except (ApiProblem, BulkValidationFailed) as error:
                problems = _row_problems(error)
                status = error.status if isinstance(error, ApiProblem) else 422
                errors.add("file", f"The file has {len(problems)} problem{'s' if len(problems) != 1 else ''}: nothing was added. Correct the file and upload it again")
            except BaseException:
                if reservation is not None:
                    ctx.state.idempotency.release(reservation)
                raise
            else:
                if not dry_run:
                    organisation = reads.get_organisation(ctx, organisation_id)
                    page = render(ctx, "bulk_result.html", title="Users added", result=result, letters=result.letters, organisation=organisation)
                    if reservation is not None:
                        ctx.state.idempotency.finish(reservation, page)
                    return page
                would_add = result.users
            if reservation is not None:
                ctx.state.idempotency.release(reservation)  # refused: nothing was added
    return render(
        ctx,
        "bulk_add.html",
        status,
        errors=errors,
        title="Add users from a file",
        organisations=_organisations(ctx),
        form=form,
        problems=problems,
        would_add=would_add,
        content=content.decode("utf-8", "replace") if would_add else "",
        submission=secrets.token_urlsafe(24) if would_add else "",
        example_header=EXAMPLE_HEADER,
    )


def _reserve(ctx: Context, form: Form, organisation_id: UUID, content: bytes) -> Reservation | Response | None:
    """The submission's reservation, or the page its first sending got; ``None`` for a
    form from before submissions were numbered."""
    submission = form.get("submission")
    if not submission or ctx.principal is None:
        return None
    fingerprint = hashlib.sha256(b"console bulk add\x00" + str(organisation_id).encode() + b"\x00" + content).hexdigest()
    return ctx.state.idempotency.begin(str(ctx.principal.user_id), f"console-bulk-add:{submission}", fingerprint, ctx.now)


FIELDS = {"first_name": "first_name", "last_name": "last_name", "original_address": "original_address", "old_style_address": "old_style_address", "ex_directory": "ex_directory"}
# The form's fields top to bottom: the error summary lists faults in this order.
FORM_ORDER = ["organisation_id", "first_name", "last_name", "original_address", "old_style_address", *(f"detail_{name}" for name in DIRECTORY_FIELDS), "ex_directory"]


def add_one(ctx: Context, form: Form | None) -> Response:
    """One user, checked as the API checks a row; every fault named beside its own field at once."""
    errors = Errors()
    if form is not None:
        organisation_id = _organisation_id(ctx, form, errors)
        values: dict[str, Any] = {name: form.get(name) for name in FIELDS if form.get(name)}
        values["directory"] = {name: form.get(f"detail_{name}") for name in DIRECTORY_FIELDS if form.get(f"detail_{name}")}
        values["ex_directory"] = form.get("ex_directory") == "yes"
        faults: list[dict[str, Any]] = []
        try:
            row: NewUserIn | None = NewUserIn.model_validate(values)
        except ValidationError as error:
            row, faults = None, validation_errors(error)
        if organisation_id is not None and row is None:
            faults = _with_domain_faults(ctx, organisation_id, values, faults)
        elif organisation_id is not None and row is not None:
            try:
                result = add_rows(ctx, organisation_id, [row], dry_run=False)
            except BulkValidationFailed as error:
                faults = list(error.errors)
            except DomainError as error:
                errors.add_domain_error(error, FIELDS, "first_name")
            else:
                return render(ctx, "added_one.html", title="User added", created=result.users[0], letters=result.letters)
        named = [(_field_id(fault["field"]), _sentence(plain(fault["field"], fault["message"]))) for fault in faults]
        for field_id, message in sorted(named, key=lambda fault: FORM_ORDER.index(fault[0]) if fault[0] in FORM_ORDER else len(FORM_ORDER)):
            errors.add(field_id, message)
    return render(
        ctx,
        "add_one.html",
        errors=errors,
        title="Add a user",
        organisations=_organisations(ctx),
        form=form,
        fields=DIRECTORY_FIELDS,
        original_address_required=_original_address_required(ctx),
    )


def _field_id(field: str) -> str:
    """The form's field a fault of the API names ("directory.telephone" is "detail_telephone")."""
    name = field.split(".")
    if name[0] == "directory" and len(name) > 1:
        return f"detail_{name[1]}"
    return FIELDS.get(name[0], "first_name")


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


def _with_domain_faults(ctx: Context, organisation_id: UUID, values: dict[str, Any], faults: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``faults`` of the form's values and the domain's faults of the rest, as the API's bulk
    add answers a row: a form corrected for the first is not refused again for the second."""
    try:
        refuse_rows(ctx, organisation_id, [_without(values, faults)], [{**fault, "row": 1} for fault in faults])
    except ApiProblem as problem:
        return list(problem.errors or faults)


def _without(values: dict[str, Any], faults: list[dict[str, Any]]) -> NewUserIn | None:
    """The row the form gives without the values at fault, if it still is one (names given)."""
    rest = {**values, "directory": dict(values["directory"])}
    for fault in faults:
        name = fault["field"].split(".")
        if name[0] == "directory" and len(name) > 1:
            rest["directory"].pop(name[1], None)
        else:
            rest.pop(name[0], None)
    try:
        return NewUserIn.model_validate(rest)
    except ValidationError:
        return None


def _original_address_required(ctx: Context) -> bool:
    """An organisation administrator's users need an original address where their organisation
    relays to its own mail server; a service administrator chooses the organisation on the form."""
    assert ctx.principal is not None
    if ctx.principal.role is not Role.ORGANISATION_ADMINISTRATOR or ctx.principal.organisation_id is None:
        return False
    return reads.get_organisation(ctx, ctx.principal.organisation_id).account_type in AccountType.RELAYING


def letters(ctx: Context, form: Form | None) -> Response:
    """The welcome letters PDF of a batch, for its creator with the key the result page holds."""
    assert form is not None
    try:
        batch_id = UUID(form.get("batch_id"))
    except ValueError:
        raise ApiProblem(404, "not-found", "Not found", "there is no such letter batch") from None
    return letters_response(ctx, batch_id, form.get("key"))
