"""Principals: who a logged-in user is now, for authenticating each request.

One row per user with what a request needs — organisation, kind, whether they
administer it, and the flags that stop them (suspended, deleted, locked) — so
a request reads one row instead of replaying the user's and organisation's
histories (issue 12). It is kept in the command's own transaction even when
the other read models are followed by another process (``always_inline``):
a suspension, lock or revocation takes effect on the very next request.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, String

from domain.organisation import Organisation
from domain.user import User
from projections.admin_search import FLAGS as USER_FLAGS
from projections.batch import Batch
from projections.framework import ReadModel, handles
from projections.tables import key, required, table, text_id

# The flags that stop a user from acting, as the administrators' search keeps them.
STOPS = ("suspended", "deleted", "locked")
FLAGS: dict[type, dict[str, bool]] = {
    event: stops for event, flags in USER_FLAGS.items() if (stops := {k: v for k, v in flags.items() if k in STOPS})
}
FLAGS[User.Deleted] = {"deleted": True}


class Principals(ReadModel):
    name = "principals"
    rebuild_cost = 0.9
    always_inline = True

    principals = table(
        "sema_principals",
        key("user_id"),
        required("organisation_id"),
        required("kind", String(30)),
        required("administrator", Boolean),
        required("suspended", Boolean),
        required("deleted", Boolean),
        required("locked", Boolean),
    )

    @handles(User.Registered)
    def _registered(self, batch: Batch, event: User.Registered) -> None:
        batch.insert(
            self.principals,
            {
                "user_id": text_id(event.originator_id),
                "organisation_id": text_id(event.organisation_id),
                "kind": event.kind,
                "administrator": False,
                "suspended": False,
                "deleted": False,
                "locked": False,
            },
        )

    @handles(*FLAGS)
    def _flags_changed(self, batch: Batch, event: Any) -> None:
        batch.update(self.principals, {"user_id": event.originator_id}, **FLAGS[type(event)])

    @handles(User.Purged)
    def _purged(self, batch: Batch, event: User.Purged) -> None:
        batch.delete(self.principals, user_id=event.originator_id)

    @handles(Organisation.AdministratorAppointed)
    def _appointed(self, batch: Batch, event: Organisation.AdministratorAppointed) -> None:
        batch.update(self.principals, {"user_id": event.user_id, "organisation_id": event.originator_id}, administrator=True)

    @handles(Organisation.AdministratorRevoked)
    def _revoked(self, batch: Batch, event: Organisation.AdministratorRevoked) -> None:
        batch.update(self.principals, {"user_id": event.user_id, "organisation_id": event.originator_id}, administrator=False)
