"""The test kit of the whole suite: ``from testkit import …`` in any test.

- ``stores``: settings for a test store, PostgreSQL databases, applications,
  what tests read back (events, the outbox).
- ``people``: the service administrator, organisations with an administrator,
  users added, activated and challenged.
- ``smtp``: a real SMTP server on a loopback port.
- ``racers``: functions the concurrency tests run in spawned processes.

Lifetimes and limits come from the application's own ``Settings`` (and the
undelete period from ``domain.base``), never restated here.
"""

from testkit.people import (
    ANSWERS,
    AUDITOR,
    NORMALISED,
    PASSWORD,
    SECOND_SERVICE_ADMIN,
    SERVICE_ADMIN,
    START,
    Org,
    activate,
    add_user,
    fail_log_ins,
    letters_for,
    organisation_with_admin,
    pass_challenge,
    user_actor,
)
from testkit.smtp import Inbox, Received, SmtpServer, free_port
from testkit.stores import (
    POSTGRES_ENV,
    TEST_SECRET_KEY,
    ScratchSqlite,
    close_app,
    create_empty_postgres_store,
    create_postgres_database,
    drop_postgres_database,
    drop_postgres_database_later,
    empty_store_file,
    event_count,
    event_names,
    events_of,
    last_notification_id,
    make_settings,
    open_app,
    outbox_rows,
    postgres_admin_url,
)

KEY = TEST_SECRET_KEY

__all__ = [
    "ANSWERS",
    "AUDITOR",
    "KEY",
    "NORMALISED",
    "PASSWORD",
    "POSTGRES_ENV",
    "SECOND_SERVICE_ADMIN",
    "SERVICE_ADMIN",
    "START",
    "TEST_SECRET_KEY",
    "Inbox",
    "Org",
    "Received",
    "ScratchSqlite",
    "SmtpServer",
    "activate",
    "add_user",
    "close_app",
    "create_empty_postgres_store",
    "create_postgres_database",
    "drop_postgres_database",
    "drop_postgres_database_later",
    "empty_store_file",
    "fail_log_ins",
    "event_count",
    "event_names",
    "events_of",
    "free_port",
    "last_notification_id",
    "letters_for",
    "make_settings",
    "open_app",
    "organisation_with_admin",
    "outbox_rows",
    "pass_challenge",
    "postgres_admin_url",
    "user_actor",
]
