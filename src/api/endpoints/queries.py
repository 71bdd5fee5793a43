"""Read-side endpoints: directory, administrator search, address book, grants,
organisations, lists, group mailboxes and mail routing. They read read models
only (``projections.queries``), never aggregates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Connection

from api.context import Context
from api.operations import ADMINISTRATORS, PEOPLE, OperationTable
from api.problems import invalid_request
from domain.actors import Role
from domain.errors import DistributionListNotFound, GrantNotFound, MailboxNotFound, NotFound, OrganisationNotFound, UserNotFound
from projections import queries

table = OperationTable()
T = TypeVar("T")


class Belonging(Protocol):
    @property
    def organisation_id(self) -> UUID: ...


Owned = TypeVar("Owned", bound=Belonging)


class DirectoryPage(BaseModel):
    items: list[queries.DirectoryEntry]


class AddressBookOut(BaseModel):
    entries: list[queries.AddressBookEntry]


class GrantsOut(BaseModel):
    grants: list[queries.GrantView]


class OrganisationsOut(BaseModel):
    organisations: list[queries.OrganisationView]


class DistributionListsOut(BaseModel):
    distribution_lists: list[queries.DistributionListView]


class GroupMailboxesOut(BaseModel):
    group_mailboxes: list[queries.GroupMailboxView]


class Paging(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(50, ge=1, le=queries.MAX_LIMIT)
    offset: int = Field(0, ge=0, le=1_000_000)


class DirectoryQuery(Paging):
    q: str = Field("", max_length=200, description="words that start words of the name, organisation, address, job title, telephone or department")
    kinds: list[queries.EntryKind] = Field(default_factory=list)


class UserSearchQuery(Paging):
    q: str = Field("", max_length=200)
    status: list[Literal["pending_activation", "active", "locked", "suspended", "deleted", "ex_directory"]] = Field(
        default_factory=list, description="any of these (repeat the parameter); ex_directory is the flag"
    )
    organisation_id: UUID | None = Field(None, description="service administrators: one organisation (default all); organisation administrators: their own")
    sort: Literal["name", "username", "address", "status"] = "name"
    descending: bool = False


class GrantsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["mailbox_access", "user_reset"] | None = None


def ask(ctx: Context, question: Callable[[Connection], T]) -> T:
    with ctx.app.engine.connect() as connection:
        try:
            return question(connection)
        except queries.QueryError as error:
            raise invalid_request([{"field": f"query.{error.field}", "message": error.message}]) from None


def in_scope(ctx: Context, organisation_id: UUID, not_found: NotFound) -> None:
    """Organisation administrators see their own organisation only; anything else does not exist for them."""
    assert ctx.principal is not None
    if ctx.principal.role is Role.ORGANISATION_ADMINISTRATOR and organisation_id != ctx.principal.organisation_id:
        raise not_found


def visible(ctx: Context, found: Owned | None, not_found: NotFound) -> Owned:
    """What was found, if the principal may see it; else ``not_found``."""
    if found is None:
        raise not_found
    in_scope(ctx, found.organisation_id, not_found)
    return found


@table("GET", "/directory", summary="Search the directory across all organisations (ex-directory, deleted and purged users excluded)", tag="directory", roles=PEOPLE, query=DirectoryQuery, response=DirectoryPage)
def search_directory(ctx: Context, query: DirectoryQuery) -> DirectoryPage:
    return DirectoryPage(items=ask(ctx, lambda c: queries.search_directory(c, query.q, kinds=query.kinds, limit=query.limit, offset=query.offset)))


@table("GET", "/users", summary="Administrator search: users with their status, filtered by status; ex-directory and deleted included", tag="users", roles=ADMINISTRATORS, query=UserSearchQuery, response=queries.UserPage)
def search_users(ctx: Context, query: UserSearchQuery) -> queries.UserPage:
    assert ctx.principal is not None
    organisation_id = query.organisation_id
    if ctx.principal.role is Role.ORGANISATION_ADMINISTRATOR:
        if organisation_id is not None:
            in_scope(ctx, organisation_id, OrganisationNotFound(organisation_id))
        organisation_id = ctx.principal.organisation_id
    return ask(
        ctx,
        lambda c: queries.search_users(
            c, organisation_id, text=query.q, statuses=query.status, sort=query.sort, descending=query.descending, limit=query.limit, offset=query.offset
        ),
    )


@table("GET", "/users/{user_id}", summary="One user as administrators see them", tag="users", roles=ADMINISTRATORS, response=queries.UserSummary)
def get_user(ctx: Context, user_id: UUID) -> queries.UserSummary:
    return visible(ctx, ask(ctx, lambda c: queries.get_user_summary(c, user_id)), UserNotFound(user_id))


@table("GET", "/me/address-book", summary="Own personal address book", tag="self-service", roles=PEOPLE, response=AddressBookOut)
def get_address_book(ctx: Context) -> AddressBookOut:
    assert ctx.principal is not None
    user_id = ctx.principal.user_id
    return AddressBookOut(entries=ask(ctx, lambda c: queries.address_book(c, user_id)))


@table("GET", "/me/exceptional-access", summary="Every exceptional-access grant on own mailbox (and resets of own account)", tag="exceptional access", roles=PEOPLE, response=GrantsOut)
def my_grants(ctx: Context) -> GrantsOut:
    assert ctx.principal is not None
    user_id = ctx.principal.user_id
    return GrantsOut(grants=ask(ctx, lambda c: queries.grants_for_owner(c, user_id)))


@table("GET", "/me/group-mailboxes", summary="The group mailboxes one holds permissions on", tag="mailboxes", roles=PEOPLE, response=GroupMailboxesOut)
def my_group_mailboxes(ctx: Context) -> GroupMailboxesOut:
    assert ctx.principal is not None
    user_id = ctx.principal.user_id
    return GroupMailboxesOut(group_mailboxes=ask(ctx, lambda c: queries.group_mailboxes_of_user(c, user_id)))


@table("GET", "/exceptional-access", summary="Service administrators: requests waiting for a decision; organisation administrators: every grant in their organisation", tag="exceptional access", roles=ADMINISTRATORS, query=GrantsQuery, response=GrantsOut)
def list_grants(ctx: Context, query: GrantsQuery) -> GrantsOut:
    assert ctx.principal is not None
    if ctx.principal.role is Role.SERVICE_ADMINISTRATOR:
        found = ask(ctx, lambda c: queries.pending_exceptional_access(c, query.kind))
    else:
        organisation_id = ctx.principal.organisation_id
        found = [g for g in ask(ctx, lambda c: queries.grants_in_organisation(c, organisation_id)) if query.kind in (None, g.kind)]
    return GrantsOut(grants=found)


@table("GET", "/exceptional-access/{grant_id}", summary="One exceptional-access request or grant", tag="exceptional access", roles=ADMINISTRATORS, response=queries.GrantView)
def get_grant(ctx: Context, grant_id: UUID) -> queries.GrantView:
    return visible(ctx, ask(ctx, lambda c: queries.grant(c, grant_id)), GrantNotFound(grant_id))


@table("GET", "/organisations", summary="Organisations (an organisation administrator sees their own)", tag="organisations", roles=ADMINISTRATORS, response=OrganisationsOut)
def list_organisations(ctx: Context) -> OrganisationsOut:
    assert ctx.principal is not None
    found = ask(ctx, queries.organisations)
    if ctx.principal.role is Role.ORGANISATION_ADMINISTRATOR:
        found = [o for o in found if o.id == ctx.principal.organisation_id]
    return OrganisationsOut(organisations=found)


@table("GET", "/organisations/{organisation_id}", summary="One organisation", tag="organisations", roles=ADMINISTRATORS, response=queries.OrganisationView)
def get_organisation(ctx: Context, organisation_id: UUID) -> queries.OrganisationView:
    in_scope(ctx, organisation_id, OrganisationNotFound(organisation_id))
    found = ask(ctx, lambda c: queries.organisation(c, organisation_id))
    if found is None:
        raise OrganisationNotFound(organisation_id)
    return found


@table("GET", "/organisations/{organisation_id}/distribution-lists", summary="An organisation's distribution lists", tag="distribution lists", roles=ADMINISTRATORS, response=DistributionListsOut)
def list_distribution_lists(ctx: Context, organisation_id: UUID) -> DistributionListsOut:
    in_scope(ctx, organisation_id, OrganisationNotFound(organisation_id))
    return DistributionListsOut(distribution_lists=ask(ctx, lambda c: queries.distribution_lists(c, organisation_id)))


@table("GET", "/distribution-lists/{list_id}", summary="A distribution list with its members", tag="distribution lists", roles=ADMINISTRATORS, response=queries.DistributionListView)
def get_distribution_list(ctx: Context, list_id: UUID) -> queries.DistributionListView:
    return visible(ctx, ask(ctx, lambda c: queries.distribution_list(c, list_id)), DistributionListNotFound(list_id))


@table("GET", "/organisations/{organisation_id}/group-mailboxes", summary="An organisation's group mailboxes", tag="mailboxes", roles=ADMINISTRATORS, response=GroupMailboxesOut)
def list_group_mailboxes(ctx: Context, organisation_id: UUID) -> GroupMailboxesOut:
    in_scope(ctx, organisation_id, OrganisationNotFound(organisation_id))
    return GroupMailboxesOut(group_mailboxes=ask(ctx, lambda c: queries.group_mailboxes(c, organisation_id)))


@table("GET", "/group-mailboxes/{mailbox_id}", summary="A group mailbox with who holds which permission", tag="mailboxes", roles=ADMINISTRATORS, response=queries.GroupMailboxView)
def get_group_mailbox(ctx: Context, mailbox_id: UUID) -> queries.GroupMailboxView:
    return visible(ctx, ask(ctx, lambda c: queries.group_mailbox(c, mailbox_id)), MailboxNotFound(mailbox_id))


@table("GET", "/routing/{address}", summary="Mail routing for an address: deliver, relay, expand, or return to sender with the reason", tag="mail routing", roles=ADMINISTRATORS, response=queries.Route)
def route(ctx: Context, address: str) -> queries.Route:
    return ask(ctx, lambda c: queries.route(c, address))
