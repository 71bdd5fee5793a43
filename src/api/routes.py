"""The HTTP API's routes table: every operation, top to bottom, with its
method, path, endpoint, who may call it, and its models.

``create_app`` serves these routes and generates the OpenAPI document from the
same list (``api.openapi``), so the two cannot drift apart. An endpoint's
docstring is its summary; the order is the document's order, and Starlette
matches routes in it: a path's operations are served together where the path
first appears, then a 405 for its other methods (``api.operations.served``),
so keep literal paths above the parameter paths they resemble.
"""

from __future__ import annotations

from api import schemas
from api.endpoints import audit, exceptional_access, mailboxes, organisations, reads, reports, self_service, sessions, users
from api.inputs import Body
from api.operations import ADMINISTRATORS, AUDITORS, EVERYONE, PEOPLE, PUBLIC, SERVICE, Operation
from projections import queries

API: list[Operation] = [
    # --- self-service: log-in, activation, own password, security information and address book
    Operation("POST", "/session", self_service.log_in, PUBLIC, body=schemas.LogIn, response=schemas.SessionOut, status=201, tag="self-service"),
    Operation("DELETE", "/session", self_service.log_out, EVERYONE, status=204, tag="self-service", quick=True),
    Operation("GET", "/me", self_service.me, EVERYONE, response=schemas.Me, tag="self-service", quick=True),
    Operation("GET", "/security-questions", self_service.security_questions, PUBLIC, response=schemas.SecurityQuestions, tag="self-service", quick=True),
    Operation("POST", "/me/activation", self_service.activate, EVERYONE, body=schemas.Activation, status=204, tag="self-service"),
    Operation("POST", "/me/password", self_service.change_password, EVERYONE, body=schemas.PasswordChange, status=204, tag="self-service"),
    Operation("PUT", "/me/security-information", self_service.set_security_information, EVERYONE, body=schemas.SecurityInformation, status=204, tag="self-service"),
    Operation("GET", "/me/sessions", sessions.my_sessions, EVERYONE, response=schemas.SessionsOut, tag="self-service", quick=True),
    Operation("DELETE", "/me/sessions/{session_id}", sessions.end_my_session, EVERYONE, status=204, tag="self-service", quick=True),
    Operation("POST", "/me/address-book", self_service.save_address_book_entry, PEOPLE, body=schemas.AddressBookEntryIn, status=204, tag="self-service", quick=True),
    Operation("DELETE", "/me/address-book/{entry_id}", self_service.remove_address_book_entry, PEOPLE, status=204, tag="self-service", quick=True),
    Operation("POST", "/mailboxes/{mailbox_id}/use", self_service.record_mailbox_use, PEOPLE, status=204, tag="mailboxes", quick=True),

    # --- organisations
    Operation("POST", "/organisations", organisations.register_organisation, SERVICE, body=schemas.OrganisationIn, response=schemas.Created, status=201, tag="organisations"),
    Operation("PATCH", "/organisations/{organisation_id}", organisations.rename_organisation, SERVICE, body=schemas.OrganisationRenameIn, status=204, tag="organisations", quick=True),
    Operation("PUT", "/organisations/{organisation_id}/domains/{domain}", organisations.add_mail_domain, SERVICE, status=204, tag="organisations", quick=True),
    Operation("DELETE", "/organisations/{organisation_id}/domains/{domain}", organisations.remove_mail_domain, SERVICE, status=204, tag="organisations", quick=True),
    Operation("PUT", "/organisations/{organisation_id}/contact", organisations.change_contact_details, ADMINISTRATORS, body=schemas.ContactDetailsIn, status=204, tag="organisations", quick=True),
    Operation("PUT", "/organisations/{organisation_id}/administrators/{user_id}", organisations.appoint_administrator, ADMINISTRATORS, status=204, tag="organisations", quick=True),
    Operation("DELETE", "/organisations/{organisation_id}/administrators/{user_id}", organisations.revoke_administrator, ADMINISTRATORS, status=204, tag="organisations", quick=True),
    Operation("PUT", "/organisations/{organisation_id}/suspension", organisations.suspend_organisation, ADMINISTRATORS, body=schemas.Suspension, status=204, tag="organisations"),
    Operation("DELETE", "/organisations/{organisation_id}/suspension", organisations.unsuspend_organisation, ADMINISTRATORS, status=204, tag="organisations"),

    # --- administering users
    Operation("POST", "/organisations/{organisation_id}/users", users.add_user, ADMINISTRATORS, body=schemas.NewUserIn, response=schemas.BulkAddOut, status=201, tag="users"),
    Operation(
        "POST", "/organisations/{organisation_id}/users/bulk", users.bulk_add_users, ADMINISTRATORS,
        body=schemas.BulkAddIn, body_media_types=(Body.JSON, Body.CSV, Body.MULTIPART), query=schemas.BulkAddQuery, response=schemas.BulkAddOut, status=201, tag="users",
        on_invalid_body=users.bulk_add_refused, on_invalid_query=users.bulk_add_query_refused,
    ),
    Operation("POST", "/service-people", users.add_service_person, SERVICE, body=schemas.ServicePersonIn, response=schemas.BulkAddOut, status=201, tag="users"),
    Operation("GET", "/letter-batches/{batch_id}/letters.pdf", users.letters_pdf, ADMINISTRATORS, response_media_type="application/pdf", tag="users"),
    Operation("POST", "/users/status-changes", users.change_statuses, ADMINISTRATORS, body=schemas.StatusChangeIn, response=schemas.Outcomes, tag="users", quick=True),
    Operation("POST", "/users/details-changes", users.change_details, ADMINISTRATORS, body=schemas.DetailsChangeIn, response=schemas.Outcomes, tag="users", quick=True),
    Operation("PUT", "/users/{user_id}/first-name", users.change_first_name, ADMINISTRATORS, body=schemas.FirstNameIn, response=schemas.AddressOut, tag="users", quick=True),
    Operation("PUT", "/users/{user_id}/last-name", users.change_last_name, ADMINISTRATORS, body=schemas.LastNameIn, response=schemas.AddressOut, tag="users", quick=True),
    Operation("PUT", "/users/{user_id}/original-address", users.change_original_address, ADMINISTRATORS, body=schemas.OriginalAddressIn, response=schemas.AddressOut, tag="users", quick=True),
    Operation("DELETE", "/users/{user_id}/aliases/{address}", users.remove_alias, ADMINISTRATORS, status=204, tag="users", quick=True),
    Operation("GET", "/users/{user_id}/sessions", sessions.user_sessions, ADMINISTRATORS, response=schemas.SessionsOut, tag="users", quick=True),
    Operation("DELETE", "/users/{user_id}/sessions/{session_id}", sessions.end_user_session, ADMINISTRATORS, status=204, tag="users", quick=True),
    Operation("POST", "/users/{user_id}/challenges", users.issue_challenge, ADMINISTRATORS, response=schemas.ChallengeOut, status=201, tag="users", quick=True),
    Operation("POST", "/users/{user_id}/challenges/{challenge_id}/answer", users.answer_challenge, ADMINISTRATORS, body=schemas.ChallengeAnswer, response=schemas.ChallengeResult, tag="users", quick=True),
    Operation("POST", "/users/{user_id}/password-reset", users.reset_password, ADMINISTRATORS, response=schemas.NewOneTimePassword, status=201, tag="users", quick=True),
    Operation("POST", "/users/{user_id}/one-time-password", users.reissue_one_time_password, ADMINISTRATORS, response=schemas.NewOneTimePassword, status=201, tag="users", quick=True),
    Operation("POST", "/users/{user_id}/reset", users.reset_user, ADMINISTRATORS, body=schemas.UserResetIn, response=schemas.NewOneTimePassword, status=201, tag="users"),

    # --- group mailboxes and distribution lists
    Operation("POST", "/organisations/{organisation_id}/group-mailboxes", mailboxes.create_group_mailbox, ADMINISTRATORS, body=schemas.GroupMailboxIn, response=schemas.CreatedWithAddress, status=201, tag="mailboxes", quick=True),
    Operation("PATCH", "/group-mailboxes/{mailbox_id}", mailboxes.rename_group_mailbox, ADMINISTRATORS, body=schemas.RenameIn, status=204, tag="mailboxes", quick=True),
    Operation("DELETE", "/group-mailboxes/{mailbox_id}", mailboxes.delete_group_mailbox, ADMINISTRATORS, status=204, tag="mailboxes", quick=True),
    Operation("PUT", "/mailboxes/{mailbox_id}/permissions/{user_id}/{permission}", mailboxes.grant_mailbox_permission, ADMINISTRATORS, status=204, tag="mailboxes", quick=True),
    Operation("DELETE", "/mailboxes/{mailbox_id}/permissions/{user_id}/{permission}", mailboxes.revoke_mailbox_permission, ADMINISTRATORS, status=204, tag="mailboxes", quick=True),
    Operation("POST", "/organisations/{organisation_id}/distribution-lists", mailboxes.create_distribution_list, ADMINISTRATORS, body=schemas.DistributionListIn, response=schemas.CreatedWithAddress, status=201, tag="distribution lists", quick=True),
    Operation("PATCH", "/distribution-lists/{list_id}", mailboxes.rename_distribution_list, ADMINISTRATORS, body=schemas.RenameIn, status=204, tag="distribution lists", quick=True),
    Operation("PUT", "/distribution-lists/{list_id}/members/{user_id}", mailboxes.add_list_member, ADMINISTRATORS, status=204, tag="distribution lists", quick=True),
    Operation("DELETE", "/distribution-lists/{list_id}/members/{user_id}", mailboxes.remove_list_member, ADMINISTRATORS, status=204, tag="distribution lists", quick=True),
    Operation("DELETE", "/distribution-lists/{list_id}", mailboxes.delete_distribution_list, ADMINISTRATORS, status=204, tag="distribution lists", quick=True),
    Operation("POST", "/distribution-lists/{list_id}/restoration", mailboxes.restore_distribution_list, ADMINISTRATORS, status=204, tag="distribution lists", quick=True),
    Operation("PUT", "/distribution-lists/{list_id}/address", mailboxes.change_distribution_list_address, ADMINISTRATORS, body=schemas.ListAddressIn, response=schemas.AddressOut, tag="distribution lists", quick=True),

    # --- exceptional access
    Operation("POST", "/mailboxes/{mailbox_id}/exceptional-access", exceptional_access.request_mailbox_access, ADMINISTRATORS, body=schemas.AccessRequestIn, response=schemas.Created, status=201, tag="exceptional access", quick=True),
    Operation("POST", "/users/{user_id}/exceptional-access", exceptional_access.request_user_reset, ADMINISTRATORS, body=schemas.AccessRequestIn, response=schemas.Created, status=201, tag="exceptional access", quick=True),
    Operation("POST", "/mailboxes/{mailbox_id}/exceptional-access/{grant_id}/decision", exceptional_access.decide_mailbox_access, SERVICE, body=schemas.DecisionIn, status=204, tag="exceptional access", quick=True),
    Operation("POST", "/users/{user_id}/exceptional-access/{grant_id}/decision", exceptional_access.decide_user_reset, SERVICE, body=schemas.DecisionIn, status=204, tag="exceptional access", quick=True),
    Operation("DELETE", "/mailboxes/{mailbox_id}/exceptional-access/{grant_id}", exceptional_access.revoke_mailbox_access, ADMINISTRATORS, status=204, tag="exceptional access", quick=True),
    Operation("DELETE", "/users/{user_id}/exceptional-access/{grant_id}", exceptional_access.revoke_user_reset, ADMINISTRATORS, status=204, tag="exceptional access", quick=True),

    # --- reads: directory, users, address book, grants, organisations, lists, group mailboxes, routing
    Operation("GET", "/directory", reads.search_directory, PEOPLE, query=reads.DirectoryQuery, response=reads.DirectoryPage, tag="directory", quick=True),
    Operation("GET", "/users", reads.search_users, ADMINISTRATORS, query=reads.UserSearchQuery, response=queries.UserPage, tag="users", quick=True),
    Operation("GET", "/users/export.csv", reports.export_users, ADMINISTRATORS, query=reports.UserExportQuery, response_media_type="text/csv", tag="users"),
    Operation("GET", "/users/{user_id}", reads.get_user, ADMINISTRATORS, response=queries.UserSummary, tag="users", quick=True),
    Operation("GET", "/me/address-book", reads.get_address_book, PEOPLE, response=reads.AddressBookOut, tag="self-service", quick=True),
    Operation("GET", "/me/exceptional-access", reads.my_grants, PEOPLE, response=reads.GrantsOut, tag="exceptional access", quick=True),
    Operation("GET", "/me/group-mailboxes", reads.my_group_mailboxes, PEOPLE, response=reads.GroupMailboxesOut, tag="mailboxes", quick=True),
    Operation("GET", "/exceptional-access", reads.list_grants, ADMINISTRATORS, query=reads.GrantsQuery, response=reads.GrantsOut, tag="exceptional access", quick=True),
    Operation("GET", "/exceptional-access/{grant_id}", reads.get_grant, ADMINISTRATORS, response=queries.GrantView, tag="exceptional access", quick=True),
    Operation("GET", "/organisations", reads.list_organisations, ADMINISTRATORS, query=reads.OrganisationSearchQuery, response=reads.OrganisationsOut, tag="organisations", quick=True),
    Operation("GET", "/organisations/{organisation_id}", reads.get_organisation, ADMINISTRATORS, response=queries.OrganisationView, tag="organisations", quick=True),
    Operation("GET", "/organisations/{organisation_id}/distribution-lists", reads.list_distribution_lists, ADMINISTRATORS, response=reads.DistributionListsOut, tag="distribution lists", quick=True),
    Operation("GET", "/organisations/{organisation_id}/deleted-distribution-lists", reads.list_deleted_distribution_lists, ADMINISTRATORS, response=reads.DeletedDistributionListsOut, tag="distribution lists", quick=True),
    Operation("GET", "/distribution-lists/{list_id}", reads.get_distribution_list, ADMINISTRATORS, response=queries.DistributionListView, tag="distribution lists", quick=True),
    Operation("GET", "/organisations/{organisation_id}/group-mailboxes", reads.list_group_mailboxes, ADMINISTRATORS, response=reads.GroupMailboxesOut, tag="mailboxes", quick=True),
    Operation("GET", "/group-mailboxes/{mailbox_id}", reads.get_group_mailbox, ADMINISTRATORS, response=queries.GroupMailboxView, tag="mailboxes", quick=True),
    Operation("GET", "/notices", reports.list_notices, SERVICE, query=reports.NoticesQuery, response=reports.NoticePage, tag="notices", quick=True),
    Operation("GET", "/routing/{address}", reads.route, ADMINISTRATORS, response=queries.Route, mail_system=True, tag="mail routing", quick=True),

    # --- the auditors' reads
    Operation("GET", "/audit/events", audit.audit_events, AUDITORS, query=audit.EventsQuery, response=audit.EventsPage, tag="audit"),
    Operation("GET", "/audit/{kind}/{aggregate_id}/state", audit.audit_state, AUDITORS, query=audit.StateQuery, response=audit.StateOut, tag="audit"),
    Operation("GET", "/audit/{kind}/{aggregate_id}/history", audit.audit_history, AUDITORS, response=audit.HistoryOut, tag="audit"),
    Operation("GET", "/audit/digest", audit.audit_digest, AUDITORS, response=audit.DigestOut, tag="audit"),
]
