"""An organisation's details on its console page: the service administrators
add and remove its mail domains (never the last one); its administrators and
the service administrators set its contact details."""

from __future__ import annotations

from pydantic import ValidationError
from starlette.responses import Response

from api.console.organisations import answer, organisation_of
from api.console.pages import Errors, Form, render
from api.console.wording import plain
from api.context import Context
from api.problems import validation_errors
from api.schemas import ContactDetailsIn
from domain.errors import DomainError
from domain.organisation import ContactDetails

CONTACT_FIELDS = ("contact_name", "email", "telephone", "postal_address")


def domains(ctx: Context, form: Form | None, organisation_id: str) -> Response:
    """Adds the typed domain, or removes the one whose button was pressed."""
    assert form is not None
    organisation = organisation_of(ctx, organisation_id)
    errors = Errors()
    removing = form.get("remove")
    domain = removing or form.get("domain")
    if not domain:
        errors.add("domain", "Enter the mail domain to add, for example kent.police.uk")
    else:
        # Removing asks first, unless it cannot be done (the last domain): then the refusal comes at once.
        if removing and form.get("confirmed") != "yes" and removing in organisation.domains and len(organisation.domains) > 1:
            here = f"/console/organisations/{organisation.id}"
            explanation = [
                f"No new user of {organisation.name} can have an address in {removing}; users who already do keep theirs.",
                f"Another organisation may then list {removing} as its own.",
            ]
            return render(ctx, "confirm_action.html", title=f"Remove the mail domain {removing}", heading=f"Remove {removing} from the mail domains of {organisation.name}?", explanation=explanation, action=f"{here}/domains", hidden=[("remove", removing)], button="Remove the mail domain", cancel=here)
        try:
            if removing:
                ctx.app.remove_mail_domain(ctx.actor, ctx.now, organisation.id, domain)
            else:
                ctx.app.add_mail_domain(ctx.actor, ctx.now, organisation.id, domain)
        except DomainError as error:
            errors.add_domain_error(error, {"domain": "domain"}, "domain")
    done = f"{domain} removed from" if removing else f"{domain.lower()} added to"
    return answer(ctx, form, organisation, errors, f"{done} the mail domains of {organisation.name}")


def contact(ctx: Context, form: Form | None, organisation_id: str) -> Response:
    """The whole set of contact details: a part left empty is cleared."""
    assert form is not None
    organisation = organisation_of(ctx, organisation_id)
    errors = Errors()
    try:
        typed = {name: form.get(name).replace("\r\n", "\n") or None for name in CONTACT_FIELDS}  # a textarea's lines come as CRLF
        body = ContactDetailsIn.model_validate(typed)
        details = ContactDetails.checked(contact_name=body.contact_name, email=body.email, telephone=body.telephone, postal_address=body.postal_address)
        ctx.app.change_contact_details(ctx.actor, ctx.now, organisation.id, details)
    except ValidationError as error:
        for problem in validation_errors(error):
            field = problem["field"].split(".")[0]
            errors.add(field if field in CONTACT_FIELDS else "contact_name", plain(problem["field"], problem["message"]))
    except DomainError as error:
        errors.add_domain_error(error, {name: name for name in CONTACT_FIELDS}, "contact_name")
    return answer(ctx, form, organisation, errors, f"Contact details of {organisation.name} saved")
