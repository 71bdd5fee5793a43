"""Exceptional access: an organisation administrator asks to open a user's
mailbox or reset their account; a service administrator approves or refuses
(never their own request: the service layer refuses that); either may revoke
a grant before it ends, after a confirmation."""

from __future__ import annotations

from uuid import UUID

from starlette.responses import Response

from api.console.pages import Errors, Form, parse_id, redirect, render
from api.context import Context
from api.endpoints import reads
from api.endpoints.users import reset_user
from api.schemas import UserResetIn
from domain.actors import Role
from domain.errors import DomainError, GrantNotFound, OrganisationNotFound, UserNotFound
from projections import queries

KINDS = [("mailbox_access", "Open their mailbox"), ("user_reset", "Reset their account (security information cleared)")]


def _owners(ctx: Context, grants: list[queries.GrantView]) -> dict[UUID, str]:
    """Whose mailbox or account each request is about: the decision, the reset and the revocation are taken knowing it."""
    owners: dict[UUID, str] = {}
    for grant in grants:
        if grant.owner_id not in owners:
            try:
                owner = reads.get_user(ctx, grant.owner_id)
                organisation = reads.get_organisation(ctx, owner.organisation_id).name
                owners[grant.owner_id] = f"{owner.first_name} {owner.last_name} ({owner.username}), {organisation}"
            except (UserNotFound, OrganisationNotFound):
                owners[grant.owner_id] = "a user no longer here"
    return owners


def overview(ctx: Context, form: Form | None, errors: Errors | None = None) -> Response:
    assert ctx.principal is not None
    grants = reads.list_grants(ctx, reads.GrantsQuery()).grants
    service = ctx.principal.role is Role.SERVICE_ADMINISTRATOR
    # The service administrators' list holds only requests; the grants they may revoke are listed apart.
    in_force = reads.ask(ctx, queries.exceptional_access_in_force) if service else []
    owners = _owners(ctx, grants + in_force)
    return render(
        ctx, "exceptional_access.html", errors=errors, title="Exceptional access", grants=grants, in_force=in_force, service=service, kinds=KINDS, form=form, owners=owners
    )


def request(ctx: Context, form: Form | None) -> Response:
    assert form is not None
    errors = Errors()
    kind, username, reason = form.get("kind"), form.get("username"), form.get("reason")
    if kind not in dict(KINDS):
        errors.add("kind", "Choose what the access is for")
    user = None
    user_id = ctx.app.find_user_id(username) if username else None
    try:
        user = reads.get_user(ctx, user_id) if user_id else None
    except UserNotFound:
        user = None  # another organisation's user does not exist here
    if user is None:
        errors.add("username", "Enter the username of a user of your organisation")
    if not reason:
        errors.add("reason", "Enter the reason for the request")
    if not errors and user is not None:
        target = user.mailbox_id if kind == "mailbox_access" else user.id
        if target is None:
            errors.add("kind", "This user has no mailbox here; choose a reset instead")
        else:
            try:
                ctx.app.request_exceptional_access(ctx.actor, ctx.now, kind, target, reason)
            except DomainError as error:
                errors.add_domain_error(error, {"reason": "reason", "kind": "kind"}, "username")
            else:
                return redirect("/console/exceptional-access", f"Request sent: a service administrator decides on access for {user.username}")
    return overview(ctx, form, errors)


def decision(ctx: Context, form: Form | None, grant_id: str) -> Response:
    assert form is not None
    try:
        grant = reads.get_grant(ctx, UUID(grant_id))
    except ValueError:
        raise GrantNotFound(grant_id) from None
    approve = form.get("decision") == "approve"
    reason = form.get("refusal_reason")
    if not approve and not reason:
        errors = Errors()
        errors.add(f"refusal_reason-{grant.grant_id}", "Enter why the request is refused")
        return overview(ctx, None, errors)
    try:
        ctx.app.decide_exceptional_access(ctx.actor, ctx.now, grant.kind, grant.target_id, grant.grant_id, approve, reason)
    except DomainError as error:
        errors = Errors()
        errors.add(f"refusal_reason-{grant.grant_id}", error.message)
        return overview(ctx, None, errors)
    return redirect("/console/exceptional-access", "Request approved" if approve else "Request refused")


def reset(ctx: Context, form: Form | None, grant_id: str) -> Response:
    """Resets the user under an approved grant: security information cleared, a new one-time password."""
    try:
        grant = reads.get_grant(ctx, UUID(grant_id))
    except ValueError:
        raise GrantNotFound(grant_id) from None
    user = reads.get_user(ctx, grant.target_id)
    if form is None or form.get("confirmed") != "yes":  # the first POST only asks
        name = f"{user.first_name} {user.last_name}"
        explanation = [
            f"{name}'s password and security answers will be cleared and a new one-time password issued. They will have to set up their account again before they can sign in.",
            "This cannot be undone, and the approval is used up.",
        ]
        return render(ctx, "confirm_action.html", title=f"Reset the account of {name}", heading=f"Reset the account of {name} ({user.username})?", explanation=explanation, action=f"/console/exceptional-access/{grant.grant_id}/reset", hidden=[], button="Reset the account", cancel="/console/exceptional-access")
    new = reset_user(ctx, user.id, UserResetIn(grant_id=grant.grant_id))
    return render(ctx, "new_password.html", title="New one-time password", user=user, new=new, letters=new.letters)


def revoke(ctx: Context, form: Form | None, grant_id: str) -> Response:
    """Ends a grant before it expires: a confirmation first (GET), then the revocation (POST)."""
    grant = reads.get_grant(ctx, parse_id(grant_id, GrantNotFound))
    errors = Errors()
    if form is not None:
        try:
            ctx.app.revoke_exceptional_access(ctx.actor, ctx.now, grant.kind, grant.target_id, grant.grant_id)
        except DomainError as error:
            grant = reads.get_grant(ctx, grant.grant_id)  # as it is now: someone else may have ended it
            errors.add("revoke", ENDED.get(grant.state, f"This access cannot be revoked: {error.message}"))
        else:
            owner = _owners(ctx, [grant])[grant.owner_id]
            return redirect("/console/exceptional-access", f"Revoked: {_what(grant)} {owner} has ended")
    return render(
        ctx, "revoke_access.html", errors=errors, title="Revoke exceptional access", grant=grant, what=_what(grant), owner=_owners(ctx, [grant])[grant.owner_id], ended=ENDED.get(grant.state, "")
    )


# Why a grant cannot be revoked, by its state: only a granted one can.
ENDED = {
    "requested": "This request has not been decided yet: there is no access to revoke",
    "refused": "This request was refused: there is no access to revoke",
    "revoked": "This access has already been revoked",
    "expired": "This access has already expired",
    "used": "The account has already been reset under this approval",
}


def _what(grant: queries.GrantView) -> str:
    return "access to the mailbox of" if grant.kind == "mailbox_access" else "approval to reset the account of"
