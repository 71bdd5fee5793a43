"""Mail domains belong to one organisation each, in a store made before their
registry too: it begins from the domains organisations list."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from domain.errors import MailDomainTaken
from domain.mail_domains import MAIL_DOMAINS_ID
from sema.application import SemaApplication
from sema.clock import SettableClock
from testkit import SERVICE_ADMIN, Org


def test_a_store_made_before_the_registry_still_refuses_another_organisations_domain(app: SemaApplication, clock: SettableClock, smtp_organisation: Org) -> None:
    app.add_mail_domain(SERVICE_ADMIN, clock.now(), smtp_organisation.id, "police.example.org")
    app.register_organisation(SERVICE_ADMIN, clock.now(), name="Probation", code="probation", account_type="mailbox")  # events after the registry's
    with app.engine.begin() as connection:  # as in a store written before the registry was
        events = app.recorder.events_record_cls.__table__  # type: ignore[attr-defined]
        assert connection.execute(delete(events).where(events.c.originator_id == MAIL_DOMAINS_ID)).rowcount == 3  # opened, police.gov.uk, police.example.org
    for domains in (["police.gov.uk"], ["west.police.example.org"]):
        with pytest.raises(MailDomainTaken):
            app.register_organisation(SERVICE_ADMIN, clock.now(), name="Rogue", code="rogue", account_type="smtp", domains=domains)
    rogue = app.register_organisation(SERVICE_ADMIN, clock.now(), name="Rogue", code="rogue", account_type="smtp", domains=["rogue.example.org"])
    with pytest.raises(MailDomainTaken):
        app.add_mail_domain(SERVICE_ADMIN, clock.now(), rogue, "police.gov.uk")
    app.remove_mail_domain(SERVICE_ADMIN, clock.now(), smtp_organisation.id, "police.example.org")
    app.add_mail_domain(SERVICE_ADMIN, clock.now(), rogue, "police.example.org")
