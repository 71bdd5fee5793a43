"""Organisations: an administrator's own (suspending it, with the message
senders will get), and the service administrators' register, search and
administrators."""

from __future__ import annotations

from pydantic import ValidationError
from starlette.responses import Response

from api.console.pages import Errors, Form, parse_id, redirect, render
from api.console.wording import plain
from api.context import Context
from api.endpoints import reads
from api.problems import validation_errors
from api.endpoints.users import add_service_person
from api.schemas import OrganisationIn, OrganisationRenameIn, ServicePersonIn, Suspension
from projections import queries
from domain.errors import DomainError, LastAdministrator, NotAMemberOfTheOrganisation, OrganisationNotFound, UserNotFound

ACCOUNT_TYPES = [("mailbox", "Mailbox: sema hosts their mailboxes"), ("smtp", "SMTP: their own mail server"), ("gsc", "GSC: their own mail server on the government network")]


def own(ctx: Context, form: Form | None) -> Response:
    assert ctx.principal is not None
    return redirect(f"/console/organisations/{ctx.principal.organisation_id}")


def show(ctx: Context, form: Form | None, organisation_id: str, errors: Errors | None = None) -> Response:
    organisation = reads.get_organisation(ctx, parse_id(organisation_id, OrganisationNotFound))
    administrators = []
    for user_id in organisation.administrator_ids:
        try:
            administrators.append(reads.get_user(ctx, user_id))
        except UserNotFound:
            continue
    contact = organisation.contact.model_dump()
    if form is not None and "contact_name" in form.fields:  # the contact details as typed, shown again with their errors
        contact = {name: form.get(name) for name in contact}
    typed_domain = form.get("domain") if form is not None else ""
    return render(
        ctx,
        "organisation.html",
        errors=errors,
        title=organisation.name,
        organisation=organisation,
        administrators=administrators,
        contact=contact,
        typed_domain=typed_domain,
        form=form,  # what was typed in the form that failed, shown again with its errors
    )


def organisation_of(ctx: Context, organisation_id: str) -> queries.OrganisationView:
    """The organisation of a page's path, as its reader may see it (another's is a 404)."""
    return reads.get_organisation(ctx, parse_id(organisation_id, OrganisationNotFound))


def answer(ctx: Context, form: Form | None, organisation: queries.OrganisationView, errors: Errors, done: str) -> Response:
    """After a change on the organisation's page: the page again with the errors, or back to it with a banner."""
    if errors:
        return show(ctx, form, str(organisation.id), errors)
    return redirect(f"/console/organisations/{organisation.id}", done)


def suspension(ctx: Context, form: Form | None, organisation_id: str) -> Response:
    """Suspends (with the message returned to senders) or lifts the suspension."""
    assert form is not None
    organisation = reads.get_organisation(ctx, parse_id(organisation_id, OrganisationNotFound))
    if form.get("lift") == "yes":
        ctx.app.unsuspend_organisation(ctx.actor, ctx.now, organisation.id)
        return redirect(f"/console/organisations/{organisation.id}", f"{organisation.name} is no longer suspended")
    errors = Errors()
    try:
        message = Suspension.model_validate({"message": form.get("message") or None}).message
        if form.get("confirmed") != "yes":  # the first POST only asks (the message checked first, so a bad one is named on the form)
            here = f"/console/organisations/{organisation.id}"
            explanation = [f"Mail to {organisation.name}'s users, group mailboxes and distribution lists will be returned to its senders with this message: {message or '(the standard message)'}", "You can lift the suspension later from this organisation's page."]
            return render(ctx, "confirm_action.html", title=f"Suspend {organisation.name}", heading=f"Suspend {organisation.name}?", explanation=explanation, action=f"{here}/suspension", hidden=[("message", form.get("message"))], button="Suspend the organisation", cancel=here)
        ctx.app.suspend_organisation(ctx.actor, ctx.now, organisation.id, message)
    except ValidationError as error:
        errors.add("message", plain("message", validation_errors(error)[0]["message"]))
    except DomainError as error:
        errors.add_domain_error(error, {"message": "message"}, "message")
    if errors:
        return show(ctx, form, organisation_id, errors)
    return redirect(f"/console/organisations/{organisation.id}", f"{organisation.name} is suspended: mail to its users is returned to the senders")


def search(ctx: Context, form: Form | None) -> Response:
    """The API's organisation search: words of the name, code or domains; suspended or not."""
    params = ctx.request.query_params
    suspended = {"yes": True, "no": False}.get(params.get("suspended", ""))
    words = params.get("q", "").strip()[:200]
    query = reads.OrganisationSearchQuery(suspended=suspended, limit=queries.MAX_LIMIT, **({"q": words} if words else {}))
    found = reads.list_organisations(ctx, query)
    return render(ctx, "organisations.html", title="Organisations", found=found, q=query.q, suspended=params.get("suspended", ""))


def register(ctx: Context, form: Form | None) -> Response:
    errors = Errors()
    fields = {"name": "name", "code": "code", "account_type": "account_type", "domains": "domains"}
    if form is not None:
        domains = [d for d in form.get("domains").replace(",", " ").split() if d]
        try:
            new = OrganisationIn.model_validate({"name": form.get("name"), "code": form.get("code"), "account_type": form.get("account_type"), "domains": domains})
        except ValidationError as error:
            for problem in validation_errors(error):
                errors.add(fields.get(problem["field"].split(".")[0], "name"), plain(problem["field"], problem["message"]))
        else:
            try:
                organisation_id = ctx.app.register_organisation(ctx.actor, ctx.now, name=new.name, code=new.code, account_type=new.account_type, domains=new.domains)
            except DomainError as error:
                errors.add_domain_error(error, fields, "code")
            else:
                return redirect(f"/console/organisations/{organisation_id}", f"{new.name} registered")
    return render(ctx, "register_organisation.html", errors=errors, title="Register an organisation", form=form, account_types=ACCOUNT_TYPES)


def administrators(ctx: Context, form: Form | None, organisation_id: str) -> Response:
    """Appoints (by username) or revokes an administrator of the organisation."""
    assert form is not None
    organisation = organisation_of(ctx, organisation_id)
    errors = Errors()
    if form.get("revoke"):
        user_id = parse_id(form.get("revoke"), UserNotFound)
        # The first POST only asks; revoking the last administrator is refused at once.
        if user_id in organisation.administrator_ids and form.get("confirmed") != "yes" and len(organisation.administrator_ids) > 1:
            admin = reads.get_user(ctx, user_id)
            here = f"/console/organisations/{organisation.id}"
            name = f"{admin.first_name} {admin.last_name}"
            explanation = [f"{name} ({admin.username}) will no longer administer {organisation.name}: their users, lists and group mailboxes. They keep their own account and mailbox."]
            return render(ctx, "confirm_action.html", title=f"Remove {admin.username} as administrator", heading=f"Remove {name} as an administrator of {organisation.name}?", explanation=explanation, action=f"{here}/administrators", hidden=[("revoke", user_id)], button="Remove administrator", cancel=here)
        try:
            ctx.app.revoke_administrator(ctx.actor, ctx.now, organisation.id, user_id)
        except LastAdministrator as error:  # tied to the field where another is appointed first
            errors.add("username", error.message)
            return show(ctx, None, organisation_id, errors)
        return redirect(f"/console/organisations/{organisation.id}", "Administrator removed")
    user_id = ctx.app.find_user_id(form.get("username")) if form.get("username") else None
    try:
        if user_id is None:
            raise NotAMemberOfTheOrganisation()
        ctx.app.appoint_administrator(ctx.actor, ctx.now, organisation.id, user_id)
    except (NotAMemberOfTheOrganisation, UserNotFound):  # the same answer whether the username is unknown or another organisation's
        errors.add("username", "Enter the username of a user of this organisation")
    except DomainError as error:
        errors.add_domain_error(error, {}, "username")
    return answer(ctx, form, organisation, errors, f"{form.get('username')} is now an administrator of {organisation.name}")


def rename(ctx: Context, form: Form | None, organisation_id: str) -> Response:
    assert form is not None
    organisation = reads.get_organisation(ctx, parse_id(organisation_id, OrganisationNotFound))
    errors = Errors()
    try:
        name = OrganisationRenameIn.model_validate({"name": form.get("name")}).name
        ctx.app.rename_organisation(ctx.actor, ctx.now, organisation.id, name)
    except ValidationError as error:
        errors.add("name", "Enter the new name" if not form.get("name") else plain("name", validation_errors(error)[0]["message"]))
    except DomainError as error:
        errors.add_domain_error(error, {"name": "name"}, "name")
    if errors:
        return show(ctx, form, organisation_id, errors)
    return redirect(f"/console/organisations/{organisation.id}", f"Renamed {name}")


SERVICE_KINDS = [("service_administrator", "Service administrator"), ("auditor", "Auditor")]


def service_people(ctx: Context, form: Form | None) -> Response:
    """Registers another service administrator or an auditor in the service's own organisation."""
    errors = Errors()
    if form is not None:
        for field, message in (("first_name", "Enter a first name"), ("last_name", "Enter a last name"), ("kind", "Choose the role")):
            if not form.get(field):
                errors.add(field, message)
    if form is not None and not errors:
        try:
            person = ServicePersonIn.model_validate({"first_name": form.get("first_name"), "last_name": form.get("last_name"), "kind": form.get("kind")})
        except ValidationError as error:
            for problem in validation_errors(error):
                field = problem["field"].split(".")[0]
                errors.add(field if field in ("first_name", "last_name", "kind") else "first_name", plain(problem["field"], problem["message"]))
        else:
            result = add_service_person(ctx, person)
            return render(ctx, "added_one.html", title="Person added", created=result.users[0], letters=result.letters)
    return render(ctx, "service_people.html", errors=errors, title="Service administrators and auditors", form=form, kinds=SERVICE_KINDS)
