"""Fixtures of the audit tests: the scripted history on each store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from testkit.history import ADDED, APPOINTED, REGISTERED, RENAMED, SCRIPT, SUSPENDED, UNSUSPENDED, Scripted, counting_ids

from domain.actors import Actor, Role
from sema.application import NewUser, SemaApplication
from sema.bootstrap import build_application
from sema.config import Settings


@pytest.fixture
def audit_app(settings: Settings) -> Iterator[SemaApplication]:
    """The application with ids 00000000-…-0001, -0002, … in the order it asks for them."""
    ids = counting_ids()
    application = build_application(settings, new_id=lambda: next(ids))
    try:
        yield application
    finally:
        application.close()
        application.engine.dispose()


@pytest.fixture
def scripted(audit_app: SemaApplication) -> Scripted:
    """09:00 organisation registered; 09:30 Jane Admin and Peter Pan added; 09:45 Jane
    appointed administrator; 10:02 she suspends Peter; 11:00 renames him Hook; 12:00 unsuspends him."""
    app = audit_app
    organisation_id = app.register_organisation(SCRIPT, REGISTERED, name="Acme Legal", code="acme", account_type="mailbox")
    jane, peter = app.add_users(SCRIPT, ADDED, organisation_id, [NewUser("Jane", "Admin"), NewUser("Peter", "Pan")])
    assert jane.mailbox_id is not None and peter.mailbox_id is not None
    app.appoint_administrator(SCRIPT, APPOINTED, organisation_id, jane.user_id)
    jane_actor = Actor(str(jane.user_id), Role.ORGANISATION_ADMINISTRATOR, organisation_id, request_id="req-suspend")
    app.change_statuses(jane_actor, SUSPENDED, [peter.user_id], "suspend")
    app.change_last_name(Actor(jane_actor.id, jane_actor.role, organisation_id, request_id="req-rename"), RENAMED, peter.user_id, "Hook")
    app.change_statuses(Actor(jane_actor.id, jane_actor.role, organisation_id, request_id="req-unsuspend"), UNSUSPENDED, [peter.user_id], "unsuspend")
    return Scripted(app, organisation_id, jane.user_id, jane.mailbox_id, peter.user_id, peter.mailbox_id, jane_actor)
