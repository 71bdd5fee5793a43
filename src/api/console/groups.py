"""Administrators: an organisation's group mailboxes (who holds which
permission) and distribution lists (members from any organisation)."""

from __future__ import annotations

from uuid import UUID

from pydantic import ValidationError
from starlette.responses import Response

from api.console.pages import Errors, Form, parse_id, redirect, render
from api.console.wording import plain
from api.context import Context
from api.endpoints import reads
from api.problems import validation_errors
from api.schemas import GroupMailboxIn
from domain.errors import DistributionListNotFound, DomainError, MailboxNotFound, OrganisationNotFound, UserNotFound
from domain.mailbox import PERMISSIONS
from projections import queries

UNKNOWN_USERNAME = "Enter the username of an existing user"


def own(ctx: Context, form: Form | None) -> Response:
    assert ctx.principal is not None
    return redirect(f"/console/organisations/{ctx.principal.organisation_id}/groups")


def overview(ctx: Context, form: Form | None, organisation_id: str, errors: Errors | None = None, which: str = "") -> Response:
    organisation = reads.get_organisation(ctx, parse_id(organisation_id, OrganisationNotFound))
    mailboxes = reads.list_group_mailboxes(ctx, organisation.id).group_mailboxes
    lists = reads.list_distribution_lists(ctx, organisation.id).distribution_lists
    # The lists leave out who holds permissions and who is a member: counted apart, in two queries.
    sizes = reads.ask(ctx, lambda session: queries.group_sizes(session, organisation.id))
    return render(
        ctx, "groups.html", errors=errors, title="Group mailboxes and lists", organisation=organisation, mailboxes=mailboxes, lists=lists, sizes=sizes, form=form, which=which,
        restorable=reads.ask(ctx, lambda session: queries.restorable_distribution_lists(session, organisation.id, ctx.now)),
    )


def restore_list(ctx: Context, form: Form | None, list_id: str) -> Response:
    """Restores a deleted list within its 30 days: its address and members as they were."""
    assert form is not None
    dl = ctx.app.get_list(parse_id(list_id, DistributionListNotFound))
    reads.in_scope(ctx, dl.organisation_id, DistributionListNotFound(dl.id))
    try:
        ctx.app.restore_distribution_list(ctx.actor, ctx.now, dl.id)
    except DomainError as error:
        return redirect(f"/console/organisations/{dl.organisation_id}/groups", f"{dl.name} not restored: {error.message}")
    return redirect(f"/console/distribution-lists/{dl.id}", f"{dl.name} restored: mail to {dl.address} reaches its members again")


def create(ctx: Context, form: Form | None, organisation_id: str) -> Response:
    """Creates a group mailbox or a distribution list (``which``), named and addressed."""
    assert form is not None
    organisation = reads.get_organisation(ctx, parse_id(organisation_id, OrganisationNotFound))
    which = "list" if form.get("which") == "list" else "mailbox"
    prefix = f"{which}_"
    errors = Errors()
    try:
        new = GroupMailboxIn.model_validate({"name": form.get(prefix + "name"), "local_part": form.get(prefix + "local_part")})
    except ValidationError as error:
        for problem in validation_errors(error):
            errors.add(prefix + problem["field"].split(".")[0], plain(problem["field"], problem["message"]))
        return overview(ctx, form, organisation_id, errors, which)
    try:
        if which == "list":
            new_id, address = ctx.app.create_distribution_list(ctx.actor, ctx.now, organisation.id, new.name, new.local_part)
        else:
            new_id, address = ctx.app.create_group_mailbox(ctx.actor, ctx.now, organisation.id, new.name, new.local_part)
    except DomainError as error:
        errors.add_domain_error(error, {"name": prefix + "name", "local_part": prefix + "local_part"}, prefix + "local_part")
        return overview(ctx, form, organisation_id, errors, which)
    target = f"/console/distribution-lists/{new_id}" if which == "list" else f"/console/group-mailboxes/{new_id}"
    return redirect(target, f"{new.name} created: {address}")


def _user_by_username(ctx: Context, form: Form, errors: Errors) -> UUID | None:
    user_id = ctx.app.find_user_id(form.get("username")) if form.get("username") else None
    if user_id is None:
        errors.add("username", UNKNOWN_USERNAME)
    return user_id


def mailbox(ctx: Context, form: Form | None, mailbox_id: str, errors: Errors | None = None) -> Response:
    found = reads.get_group_mailbox(ctx, parse_id(mailbox_id, MailboxNotFound))
    holders = []
    for user_id, permissions in found.permissions.items():
        holder = ctx.app.get_user(user_id)
        holders.append((user_id, f"{holder.first_name} {holder.last_name}", holder.username, permissions))
    return render(ctx, "group_mailbox.html", errors=errors, title=found.name, mailbox=found, holders=holders, permissions=[(p, p.capitalize()) for p in PERMISSIONS], form=form)


def permission(ctx: Context, form: Form | None, mailbox_id: str) -> Response:
    """Grants a permission to a user named by username, or revokes one."""
    assert form is not None
    found = reads.get_group_mailbox(ctx, parse_id(mailbox_id, MailboxNotFound))
    errors = Errors()
    if form.get("revoke_user"):
        holder_id, held = parse_id(form.get("revoke_user"), UserNotFound), form.get("revoke_permission")
        if holder_id not in found.permissions:
            raise UserNotFound(holder_id)  # a holder of this mailbox's, or no one: another user is not named here
        if form.get("confirmed") != "yes":  # the first POST only asks
            here = f"/console/group-mailboxes/{found.id}"
            holder = ctx.app.get_user(holder_id)
            name = f"{holder.first_name} {holder.last_name}"
            explanation = [f"{name} ({holder.username}) will no longer have the {held} permission on {found.name} ({found.address}). Their other permissions do not change."]
            hidden = [("revoke_user", holder_id), ("revoke_permission", held)]
            return render(ctx, "confirm_action.html", title=f"Remove {held} from {holder.username}", heading=f"Remove {held} from {name}?", explanation=explanation, action=f"{here}/permissions", hidden=hidden, button="Remove permission", cancel=here)
        ctx.app.revoke_mailbox_permission(ctx.actor, ctx.now, found.id, holder_id, held)
        return redirect(f"/console/group-mailboxes/{found.id}", f"{form.get('revoke_permission')} permission removed")
    user_id = _user_by_username(ctx, form, errors)
    if form.get("permission") not in PERMISSIONS:
        errors.add("permission", "Choose the permission to grant")
    if not errors and user_id is not None:
        try:
            ctx.app.grant_mailbox_permission(ctx.actor, ctx.now, found.id, user_id, form.get("permission"))
        except UserNotFound:
            errors.add("username", UNKNOWN_USERNAME)  # as for a username no one has: the user's id is not shown (ADR 64)
        except DomainError as error:
            errors.add_domain_error(error, {"permission": "permission"}, "username")
    if errors:
        return mailbox(ctx, form, mailbox_id, errors)  # what was typed, shown again with its errors
    return redirect(f"/console/group-mailboxes/{found.id}", f"{form.get('username')} may now {form.get('permission')}")


def _list_in_use(ctx: Context, list_id: str) -> queries.DistributionListView:
    """A list to show and edit: a deleted one is restored from the groups page, not edited."""
    found = reads.get_distribution_list(ctx, parse_id(list_id, DistributionListNotFound))
    if found.restorable_until is not None:
        raise DistributionListNotFound(found.id)
    return found


def distribution_list(ctx: Context, form: Form | None, list_id: str, errors: Errors | None = None) -> Response:
    found = _list_in_use(ctx, list_id)
    return render(ctx, "distribution_list.html", errors=errors, title=found.name, found=found, form=form)


def change_list(ctx: Context, form: Form | None, list_id: str) -> Response:
    """Adds a member (any organisation's user, by username), removes one, renames or deletes the list."""
    assert form is not None
    found = _list_in_use(ctx, list_id)
    here = f"/console/distribution-lists/{found.id}"
    errors = Errors()
    try:
        if form.get("remove"):
            member_id = parse_id(form.get("remove"), UserNotFound)
            if form.get("confirmed") != "yes":  # the first POST only asks
                name = next((m.name for m in found.members if m.user_id == member_id), "this member")
                explanation = [f"{name} will no longer receive mail sent to {found.name} ({found.address})."]
                return render(ctx, "confirm_action.html", title=f"Remove {name} from {found.name}", heading=f"Remove {name} from {found.name}?", explanation=explanation, action=here, hidden=[("remove", member_id)], button="Remove member", cancel=here)
            ctx.app.remove_list_member(ctx.actor, ctx.now, found.id, member_id)
            return redirect(here, "Member removed")
        if form.get("delete") == "yes":
            if form.get("confirmed") != "yes":  # the first POST only asks
                explanation = [
                    f"Mail sent to {found.address} will be returned to its senders, not delivered to anyone on the list.",
                    "For 30 days the list can still be restored, under Group mailboxes and lists; after that it is deleted for good and its address is released.",
                ]
                return render(ctx, "confirm_action.html", title=f"Delete {found.name}", heading=f"Delete the distribution list {found.name}?", explanation=explanation, action=here, hidden=[("delete", "yes")], button="Delete the list", cancel=here)
            ctx.app.delete_distribution_list(ctx.actor, ctx.now, found.id)
            return redirect(f"/console/organisations/{found.organisation_id}/groups", f"{found.name} deleted")
        if form.get("rename") == "yes":
            if not form.get("name"):
                errors.add("name", "Enter the new name")
            else:
                ctx.app.rename_distribution_list(ctx.actor, ctx.now, found.id, form.get("name"))
                return redirect(here, f"Renamed {form.get('name')}")
        else:
            user_id = _user_by_username(ctx, form, errors)
            if user_id is not None:
                try:
                    ctx.app.add_list_member(ctx.actor, ctx.now, found.id, user_id)
                except UserNotFound:
                    # Another organisation's ex-directory or deleted user: refused as a username no one has (ADR 64).
                    errors.add("username", UNKNOWN_USERNAME)
                else:
                    return redirect(here, f"{form.get('username')} added to {found.name}")
    except DomainError as error:
        errors.add_domain_error(error, {"name": "name"}, "name" if form.get("rename") == "yes" else "username")
    return distribution_list(ctx, form, list_id, errors)  # what was typed, shown again with its errors
