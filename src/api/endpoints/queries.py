"""Read-side endpoints: directory, administrator search, address book, grants,
organisations, lists, group mailboxes and mail routing. They read read models
only (``projections.queries``), never aggregates."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Literal, TypeVar
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


class View(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class DirectoryEntryOut(View):
    kind: Literal["user", "distribution_list", "group_mailbox"]
    id: UUID
    name: str
    organisation_id: UUID
    organisation_name: str
    address: str
    addresses: list[str]
    job_title: str | None
    telephone: str | None
    mobile: str | None
    department: str | None
    office_address: str | None


class DirectoryPage(BaseModel):
    items: list[DirectoryEntryOut]


class UserSummaryOut(View):
    id: UUID
    organisation_id: UUID
    kind: str
    username: str
    first_name: str
    last_name: str
    address: str
    aliases: list[str]
    original_address: str | None
    mailbox_id: UUID | None
    status: Literal["pending_activation", "active", "locked", "suspended", "deleted"]
    ex_directory: bool
    locked: bool
    suspended: bool
    deleted: bool
    deleted_at: datetime | None
    undeletable_until: datetime | None = Field(description="after this a deleted user can no longer be undeleted")
    details: dict[str, str]


class UserPageOut(View):
    total: int
    items: list[UserSummaryOut]
    limit: int
    offset: int


class AddressBookEntryOut(View):
    entry_kind: str
    entry_id: UUID
    available: bool
    entry: DirectoryEntryOut | None


class AddressBookOut(BaseModel):
    entries: list[AddressBookEntryOut]


class GrantOut(View):
    grant_id: UUID
    kind: Literal["mailbox_access", "user_reset"]
    target_id: UUID
    owner_id: UUID
    organisation_id: UUID
    reason: str
    state: Literal["requested", "granted", "refused", "revoked", "expired", "used"]
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    refusal_reason: str | None
    expires_at: datetime | None
    ended_at: datetime | None


class GrantsOut(BaseModel):
    grants: list[GrantOut]


class OrganisationOut(View):
    id: UUID
    name: str
    code: str
    account_type: Literal["smtp", "gsc", "mailbox"]
    domains: list[str]
    suspended: bool
    suspension_message: str | None
    administrator_ids: list[UUID]


class OrganisationsOut(BaseModel):
    organisations: list[OrganisationOut]


class MemberOut(View):
    user_id: UUID
    name: str
    address: str
    organisation_id: UUID
    organisation_name: str


class DistributionListOut(View):
    id: UUID
    organisation_id: UUID
    organisation_name: str
    name: str
    address: str
    members: list[MemberOut]


class DistributionListsOut(BaseModel):
    distribution_lists: list[DistributionListOut]


class GroupMailboxOut(BaseModel):
    id: UUID
    organisation_id: UUID
    organisation_name: str
    name: str
    address: str
    permissions: dict[str, list[Literal["read", "write", "mail"]]] = Field(description="user id → permissions held")


class GroupMailboxesOut(BaseModel):
    group_mailboxes: list[GroupMailboxOut]


class RouteOut(View):
    address: str
    action: Literal["deliver", "relay", "expand", "return"]
    mailbox_id: UUID | None
    relay_to: str | None
    members: list[str]
    reason: Literal["unknown", "organisation_suspended", "deleted", "suspended"] | None
    message: str | None
    target_kind: Literal["user", "distribution_list", "group_mailbox"] | None
    target_id: UUID | None


class Paging(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(50, ge=1, le=queries.MAX_LIMIT)
    offset: int = Field(0, ge=0, le=1_000_000)


class DirectoryQuery(Paging):
    q: str = Field("", max_length=200, description="words that start words of the name, organisation, address, job title, telephone or department")
    kinds: list[Literal["user", "distribution_list", "group_mailbox"]] = Field(default_factory=list)


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


@contextmanager
def reading(ctx: Context) -> Iterator[Connection]:
    with ctx.app.engine.connect() as connection:
        yield connection


def ask(ctx: Context, question: Callable[[Connection], T]) -> T:
    with reading(ctx) as connection:
        try:
            return question(connection)
        except queries.QueryError as error:
            raise invalid_request([{"field": f"query.{error.field}", "message": error.message}]) from None


def in_scope(ctx: Context, organisation_id: UUID, not_found: NotFound) -> None:
    """Organisation administrators see their own organisation only; anything else does not exist for them."""
    assert ctx.principal is not None
    if ctx.principal.role is Role.ORGANISATION_ADMINISTRATOR and organisation_id != ctx.principal.organisation_id:
        raise not_found


def _group_out(view: queries.GroupMailboxView) -> GroupMailboxOut:
    return GroupMailboxOut(
        id=view.id,
        organisation_id=view.organisation_id,
        organisation_name=view.organisation_name,
        name=view.name,
        address=view.address,
        permissions={str(k): list(v) for k, v in view.permissions.items()},
    )


@table("GET", "/directory", summary="Search the directory across all organisations (ex-directory, deleted and purged users excluded)", tag="directory", roles=PEOPLE, query=DirectoryQuery, response=DirectoryPage)
def search_directory(ctx: Context, query: DirectoryQuery) -> DirectoryPage:
    found = ask(ctx, lambda c: queries.search_directory(c, query.q, kinds=query.kinds, limit=query.limit, offset=query.offset))
    return DirectoryPage(items=[DirectoryEntryOut.model_validate(e) for e in found])


@table("GET", "/users", summary="Administrator search: users with their status, filtered by status; ex-directory and deleted included", tag="users", roles=ADMINISTRATORS, query=UserSearchQuery, response=UserPageOut)
def search_users(ctx: Context, query: UserSearchQuery) -> UserPageOut:
    assert ctx.principal is not None
    organisation_id = query.organisation_id
    if ctx.principal.role is Role.ORGANISATION_ADMINISTRATOR:
        if organisation_id is not None:
            in_scope(ctx, organisation_id, OrganisationNotFound(organisation_id))
        organisation_id = ctx.principal.organisation_id
    page = ask(
        ctx,
        lambda c: queries.search_users(
            c, organisation_id, text=query.q, statuses=query.status, sort=query.sort, descending=query.descending, limit=query.limit, offset=query.offset
        ),
    )
    return UserPageOut.model_validate(page)


@table("GET", "/users/{user_id}", summary="One user as administrators see them", tag="users", roles=ADMINISTRATORS, response=UserSummaryOut)
def get_user(ctx: Context, user_id: UUID) -> UserSummaryOut:
    summary = ask(ctx, lambda c: queries.get_user_summary(c, user_id))
    if summary is None:
        raise UserNotFound(user_id)
    in_scope(ctx, summary.organisation_id, UserNotFound(user_id))
    return UserSummaryOut.model_validate(summary)


@table("GET", "/me/address-book", summary="Own personal address book", tag="self-service", roles=PEOPLE, response=AddressBookOut)
def get_address_book(ctx: Context) -> AddressBookOut:
    assert ctx.principal is not None
    user_id = ctx.principal.user_id
    return AddressBookOut(entries=[AddressBookEntryOut.model_validate(e) for e in ask(ctx, lambda c: queries.address_book(c, user_id))])


@table("GET", "/me/exceptional-access", summary="Every exceptional-access grant on own mailbox (and resets of own account)", tag="exceptional access", roles=PEOPLE, response=GrantsOut)
def my_grants(ctx: Context) -> GrantsOut:
    assert ctx.principal is not None
    user_id = ctx.principal.user_id
    return GrantsOut(grants=[GrantOut.model_validate(g) for g in ask(ctx, lambda c: queries.grants_for_owner(c, user_id))])


@table("GET", "/me/group-mailboxes", summary="The group mailboxes one holds permissions on", tag="mailboxes", roles=PEOPLE, response=GroupMailboxesOut)
def my_group_mailboxes(ctx: Context) -> GroupMailboxesOut:
    assert ctx.principal is not None
    user_id = ctx.principal.user_id
    return GroupMailboxesOut(group_mailboxes=[_group_out(g) for g in ask(ctx, lambda c: queries.group_mailboxes_of_user(c, user_id))])


@table("GET", "/exceptional-access", summary="Service administrators: requests waiting for a decision; organisation administrators: every grant in their organisation", tag="exceptional access", roles=ADMINISTRATORS, query=GrantsQuery, response=GrantsOut)
def list_grants(ctx: Context, query: GrantsQuery) -> GrantsOut:
    assert ctx.principal is not None
    if ctx.principal.role is Role.SERVICE_ADMINISTRATOR:
        found = ask(ctx, lambda c: queries.pending_exceptional_access(c, query.kind))
    else:
        organisation_id = ctx.principal.organisation_id
        found = [g for g in ask(ctx, lambda c: queries.grants_in_organisation(c, organisation_id)) if query.kind in (None, g.kind)]
    return GrantsOut(grants=[GrantOut.model_validate(g) for g in found])


@table("GET", "/exceptional-access/{grant_id}", summary="One exceptional-access request or grant", tag="exceptional access", roles=ADMINISTRATORS, response=GrantOut)
def get_grant(ctx: Context, grant_id: UUID) -> GrantOut:
    found = ask(ctx, lambda c: queries.grant(c, grant_id))
    if found is None:
        raise GrantNotFound(grant_id)
    in_scope(ctx, found.organisation_id, GrantNotFound(grant_id))
    return GrantOut.model_validate(found)


@table("GET", "/organisations", summary="Organisations (an organisation administrator sees their own)", tag="organisations", roles=ADMINISTRATORS, response=OrganisationsOut)
def list_organisations(ctx: Context) -> OrganisationsOut:
    assert ctx.principal is not None
    found = ask(ctx, queries.organisations)
    if ctx.principal.role is Role.ORGANISATION_ADMINISTRATOR:
        found = [o for o in found if o.id == ctx.principal.organisation_id]
    return OrganisationsOut(organisations=[OrganisationOut.model_validate(o) for o in found])


@table("GET", "/organisations/{organisation_id}", summary="One organisation", tag="organisations", roles=ADMINISTRATORS, response=OrganisationOut)
def get_organisation(ctx: Context, organisation_id: UUID) -> OrganisationOut:
    in_scope(ctx, organisation_id, OrganisationNotFound(organisation_id))
    found = ask(ctx, lambda c: queries.organisation(c, organisation_id))
    if found is None:
        raise OrganisationNotFound(organisation_id)
    return OrganisationOut.model_validate(found)


@table("GET", "/organisations/{organisation_id}/distribution-lists", summary="An organisation's distribution lists", tag="distribution lists", roles=ADMINISTRATORS, response=DistributionListsOut)
def list_distribution_lists(ctx: Context, organisation_id: UUID) -> DistributionListsOut:
    in_scope(ctx, organisation_id, OrganisationNotFound(organisation_id))
    found = ask(ctx, lambda c: queries.distribution_lists(c, organisation_id))
    return DistributionListsOut(distribution_lists=[DistributionListOut.model_validate(d) for d in found])


@table("GET", "/distribution-lists/{list_id}", summary="A distribution list with its members", tag="distribution lists", roles=ADMINISTRATORS, response=DistributionListOut)
def get_distribution_list(ctx: Context, list_id: UUID) -> DistributionListOut:
    found = ask(ctx, lambda c: queries.distribution_list(c, list_id))
    if found is None:
        raise DistributionListNotFound(list_id)
    in_scope(ctx, found.organisation_id, DistributionListNotFound(list_id))
    return DistributionListOut.model_validate(found)


@table("GET", "/organisations/{organisation_id}/group-mailboxes", summary="An organisation's group mailboxes", tag="mailboxes", roles=ADMINISTRATORS, response=GroupMailboxesOut)
def list_group_mailboxes(ctx: Context, organisation_id: UUID) -> GroupMailboxesOut:
    in_scope(ctx, organisation_id, OrganisationNotFound(organisation_id))
    return GroupMailboxesOut(group_mailboxes=[_group_out(g) for g in ask(ctx, lambda c: queries.group_mailboxes(c, organisation_id))])


@table("GET", "/group-mailboxes/{mailbox_id}", summary="A group mailbox with who holds which permission", tag="mailboxes", roles=ADMINISTRATORS, response=GroupMailboxOut)
def get_group_mailbox(ctx: Context, mailbox_id: UUID) -> GroupMailboxOut:
    found = ask(ctx, lambda c: queries.group_mailbox(c, mailbox_id))
    if found is None:
        raise MailboxNotFound(mailbox_id)
    in_scope(ctx, found.organisation_id, MailboxNotFound(mailbox_id))
    return _group_out(found)


@table("GET", "/routing/{address}", summary="Mail routing for an address: deliver, relay, expand, or return to sender with the reason", tag="mail routing", roles=ADMINISTRATORS, response=RouteOut)
def route(ctx: Context, address: str) -> RouteOut:
    return RouteOut.model_validate(ask(ctx, lambda c: queries.route(c, address)))
