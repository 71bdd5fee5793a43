"""The read side's questions, answered from read models only (never by loading aggregates).

Every function takes a SQLAlchemy ``Session`` or ``Connection`` on the
application's database and returns views: frozen pydantic models that the
API returns as they are (one model per shape). Who may ask what is the
caller's business (the API): e.g. ordinary users get :func:`search_directory`,
an organisation administrator :func:`search_users` for their own organisation.

One module an area; this package names them all, so callers write
``from projections import queries`` and ``queries.search_users(...)``.
"""

from projections.queries.address_books import AddressBookEntry, address_book
from projections.queries.common import MAX_LIMIT, EntryKind, QueryError, Reader, View
from projections.queries.directory import DirectoryEntry, search_directory
from projections.queries.grants import GrantView, exceptional_access_in_force, grant, grants_for_owner, grants_in_organisation, grants_on_mailbox, pending_exceptional_access
from projections.queries.groups import (
    Permission,
    DistributionListView,
    GroupMailboxView,
    Member,
    distribution_list,
    hidden_member_addresses,
    RestorableList,
    restorable_distribution_lists,
    distribution_lists,
    group_mailbox,
    group_mailboxes,
    group_sizes,
    group_mailboxes_of_user,
)
from projections.queries.organisation_views import ContactDetailsView, OrganisationPage, OrganisationView, organisation, organisations, search_organisations
from projections.queries.routing import (
    DELIVER,
    EXPAND,
    REASON_DELETED,
    REASON_ORGANISATION_SUSPENDED,
    REASON_SUSPENDED,
    REASON_UNKNOWN,
    RELAY,
    RETURN,
    Route,
    route,
    unknown_route,
)
from projections.queries.users import SORTS, STATUS_FILTERS, STATUSES, UserPage, UserSummary, get_user_summary, search_users

__all__ = [
    "DELIVER",
    "EXPAND",
    "MAX_LIMIT",
    "REASON_DELETED",
    "REASON_ORGANISATION_SUSPENDED",
    "REASON_SUSPENDED",
    "REASON_UNKNOWN",
    "RELAY",
    "RETURN",
    "SORTS",
    "STATUSES",
    "STATUS_FILTERS",
    "AddressBookEntry",
    "DirectoryEntry",
    "DistributionListView",
    "EntryKind",
    "GrantView",
    "GroupMailboxView",
    "Member",
    "OrganisationView",
    "Permission",
    "QueryError",
    "Reader",
    "Route",
    "UserPage",
    "UserSummary",
    "View",
    "address_book",
    "distribution_list",
    "hidden_member_addresses",
    "RestorableList",
    "restorable_distribution_lists",
    "distribution_lists",
    "exceptional_access_in_force",
    "get_user_summary",
    "grant",
    "grants_for_owner",
    "grants_in_organisation",
    "grants_on_mailbox",
    "group_mailbox",
    "group_mailboxes",
    "group_sizes",
    "group_mailboxes_of_user",
    "organisation",
    "organisations",
    "search_organisations",
    "OrganisationPage",
    "ContactDetailsView",
    "pending_exceptional_access",
    "route",
    "unknown_route",
    "search_directory",
    "search_users",
]
