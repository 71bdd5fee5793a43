"""Read-side endpoints: directory, administrator search, address book, grants,
organisations, lists, group mailboxes and mail routing. They read read models
only (``projections.queries``), never aggregates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal, Protocol, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.engine import Connection

from api.context import Context
from api.problems import invalid_request
from domain.actors import Role
from domain.errors import DistributionListNotFound, GrantNotFound, MailboxNotFound, NotFound, OrganisationNotFound, UserNotFound
from projections import queries

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
    total: int = Field(description="how many match the filters")
    limit: int
    offset: int


class DistributionListsOut(BaseModel):
    distribution_lists: list[queries.DistributionListView]


class DeletedDistributionListsOut(BaseModel):
    distribution_lists: list[queries.RestorableList]


class GroupMailboxesOut(BaseModel):
    group_mailboxes: list[queries.GroupMailboxView]


# A search parameter left out does not filter; one given empty (or blank) is refused, naming it,
# as an empty number or flag is: `?q=` is more likely a client's mistake than a wish for everything.
SearchText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
DomainName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=253)]


class Paging(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(50, ge=1, le=queries.MAX_LIMIT)
    offset: int = Field(0, ge=0, le=1_000_000)


class DirectoryQuery(Paging):
    q: SearchText = Field("", description="words that start words of the name, organisation, address, job title, telephone or department")
    kinds: list[queries.EntryKind] = Field(default_factory=list)


class UserFilters(BaseModel):
    """What an administrator's user search and its CSV export filter and sort by."""

    model_config = ConfigDict(extra="forbid")
    q: SearchText = ""
    status: list[Literal["pending_activation", "active", "locked", "suspended", "deleted", "ex_directory"]] = Field(
        default_factory=list, description="any of these (repeat the parameter); ex_directory is the flag"
    )
    organisation_id: UUID | None = Field(None, description="service administrators: one organisation (default all); organisation administrators: their own")
    never_activated: bool | None = Field(None, description="true: only users who never activated; false: only those who did")
    sort: Literal["name", "username", "address", "status"] = "name"
    descending: bool = False


class UserSearchQuery(Paging, UserFilters):
    pass


class OrganisationSearchQuery(Paging):
    q: SearchText = Field("", description="words found in the name, code or mail domains")
    account_type: list[Literal["smtp", "gsc", "mailbox"]] = Field(default_factory=list, description="any of these (repeat the parameter)")
    suspended: bool | None = None
    domain: DomainName = Field("", description="organisations with exactly this mail domain")


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


def search_directory(ctx: Context, query: DirectoryQuery) -> DirectoryPage:
    """Search the directory across all organisations (ex-directory, deleted and purged users excluded)"""
    return DirectoryPage(items=ask(ctx, lambda c: queries.search_directory(c, query.q, kinds=query.kinds, limit=query.limit, offset=query.offset)))


def search_users(ctx: Context, query: UserSearchQuery) -> queries.UserPage:
    """Administrator search: users with their status, last log-in and mailbox use, one-time password expiry; ex-directory and deleted included"""
    return ask(ctx, lambda c: user_search(ctx, c, query, query.limit, query.offset))


def user_search(ctx: Context, connection: Connection, filters: UserFilters, limit: int, offset: int) -> queries.UserPage:
    """One page of users matching ``filters``, within what the principal administers."""
    assert ctx.principal is not None
    organisation_id = filters.organisation_id
    if ctx.principal.role is Role.ORGANISATION_ADMINISTRATOR:
        if organisation_id is not None:
            in_scope(ctx, organisation_id, OrganisationNotFound(organisation_id))
        organisation_id = ctx.principal.organisation_id
    return queries.search_users(
        connection,
        organisation_id,
        text=filters.q,
        statuses=filters.status,
        never_activated=filters.never_activated,
        sort=filters.sort,
        descending=filters.descending,
        limit=limit,
        offset=offset,
    )


def get_user(ctx: Context, user_id: UUID) -> queries.UserSummary:
    """One user as administrators see them (recorded in the history as a sensitive read)"""
    summary = visible(ctx, ask(ctx, lambda c: queries.get_user_summary(c, user_id)), UserNotFound(user_id))
    ctx.app.record_sensitive_read(ctx.actor, ctx.now, "user_viewed", [user_id])
    return summary


def get_address_book(ctx: Context) -> AddressBookOut:
    """Own personal address book"""
    assert ctx.principal is not None
    user_id = ctx.principal.user_id
    return AddressBookOut(entries=ask(ctx, lambda c: queries.address_book(c, user_id)))


def my_grants(ctx: Context) -> GrantsOut:
    """Every exceptional-access grant on own mailbox (and resets of own account)"""
    assert ctx.principal is not None
    user_id = ctx.principal.user_id
    return GrantsOut(grants=ask(ctx, lambda c: queries.grants_for_owner(c, user_id)))


def my_group_mailboxes(ctx: Context) -> GroupMailboxesOut:
    """The group mailboxes one holds permissions on"""
    assert ctx.principal is not None
    user_id = ctx.principal.user_id
    return GroupMailboxesOut(group_mailboxes=ask(ctx, lambda c: queries.group_mailboxes_of_user(c, user_id)))


def list_grants(ctx: Context, query: GrantsQuery) -> GrantsOut:
    """Service administrators: requests waiting for a decision; organisation administrators: every grant in their organisation"""
    assert ctx.principal is not None
    if ctx.principal.role is Role.SERVICE_ADMINISTRATOR:
        found = ask(ctx, lambda c: queries.pending_exceptional_access(c, query.kind))
    else:
        organisation_id = ctx.principal.organisation_id
        found = [g for g in ask(ctx, lambda c: queries.grants_in_organisation(c, organisation_id)) if query.kind in (None, g.kind)]
    return GrantsOut(grants=found)


def get_grant(ctx: Context, grant_id: UUID) -> queries.GrantView:
    """One exceptional-access request or grant"""
    return visible(ctx, ask(ctx, lambda c: queries.grant(c, grant_id)), GrantNotFound(grant_id))


def list_organisations(ctx: Context, query: OrganisationSearchQuery | None = None) -> OrganisationsOut:
    """Search organisations by name, code, mail domain, account type and suspension (an organisation administrator sees their own)

    Without ``query`` (the console's callers): every organisation the principal may see."""
    assert ctx.principal is not None
    own = ctx.principal.organisation_id if ctx.principal.role is Role.ORGANISATION_ADMINISTRATOR else None
    if query is None:
        page = ask(ctx, lambda c: queries.search_organisations(c, only=own, limit=None))
        return OrganisationsOut(organisations=page.items, total=page.total, limit=page.limit, offset=page.offset)
    q = query
    page = ask(
        ctx,
        lambda c: queries.search_organisations(c, text=q.q, account_types=q.account_type, suspended=q.suspended, domain=q.domain, only=own, limit=q.limit, offset=q.offset),
    )
    return OrganisationsOut(organisations=page.items, total=page.total, limit=page.limit, offset=page.offset)


def get_organisation(ctx: Context, organisation_id: UUID) -> queries.OrganisationView:
    """One organisation"""
    in_scope(ctx, organisation_id, OrganisationNotFound(organisation_id))
    found = ask(ctx, lambda c: queries.organisation(c, organisation_id))
    if found is None:
        raise OrganisationNotFound(organisation_id)
    return found


def list_distribution_lists(ctx: Context, organisation_id: UUID) -> DistributionListsOut:
    """An organisation's distribution lists"""
    in_scope(ctx, organisation_id, OrganisationNotFound(organisation_id))
    return DistributionListsOut(distribution_lists=ask(ctx, lambda c: queries.distribution_lists(c, organisation_id)))


def list_deleted_distribution_lists(ctx: Context, organisation_id: UUID) -> DeletedDistributionListsOut:
    """An organisation's deleted distribution lists that can still be restored

    A deleted list can be restored for 30 days (POST /distribution-lists/{list_id}/restoration);
    after that it is deleted for good and its address released."""
    in_scope(ctx, organisation_id, OrganisationNotFound(organisation_id))
    return DeletedDistributionListsOut(distribution_lists=ask(ctx, lambda c: queries.restorable_distribution_lists(c, organisation_id, ctx.now)))


def get_distribution_list(ctx: Context, list_id: UUID) -> queries.DistributionListView:
    """A distribution list with its members

    A deleted list is found while it can still be restored, with its
    ``restorable_until``; after that, and for any other id, 404."""
    viewer = None if ctx.actor.is_service_administrator else ctx.actor.organisation_id
    return visible(ctx, ask(ctx, lambda c: queries.distribution_list(c, list_id, viewer, ctx.now)), DistributionListNotFound(list_id))


def list_group_mailboxes(ctx: Context, organisation_id: UUID) -> GroupMailboxesOut:
    """An organisation's group mailboxes"""
    in_scope(ctx, organisation_id, OrganisationNotFound(organisation_id))
    return GroupMailboxesOut(group_mailboxes=ask(ctx, lambda c: queries.group_mailboxes(c, organisation_id)))


def get_group_mailbox(ctx: Context, mailbox_id: UUID) -> queries.GroupMailboxView:
    """A group mailbox with who holds which permission"""
    return visible(ctx, ask(ctx, lambda c: queries.group_mailbox(c, mailbox_id)), MailboxNotFound(mailbox_id))


def route(ctx: Context, address: str) -> queries.Route:
    """Mail routing for an address: deliver, relay, expand, or return to sender with the reason

    For the mail system (its own bearer token) and service administrators; an
    organisation administrator learns about their own organisation's addresses
    only: any other address is answered as unknown, so the answer tells nothing."""
    found = ask(ctx, lambda c: queries.route(c, address))
    principal = ctx.principal
    if principal is not None and principal.role is Role.ORGANISATION_ADMINISTRATOR:
        if found.organisation_id != principal.organisation_id:
            return queries.unknown_route(address)
        list_id = found.target_id
        if found.action == "expand" and list_id is not None:
            # Another organisation's ex-directory or deleted members still receive, unseen (ADR 64).
            hidden = ask(ctx, lambda c: queries.hidden_member_addresses(c, list_id, principal.organisation_id))
            if hidden:
                return found.model_copy(update={"members": tuple(a for a in found.members if a not in hidden)})
    return found
