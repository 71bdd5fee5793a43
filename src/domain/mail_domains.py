"""Which organisation lists each mail domain: one aggregate for the whole service.

An smtp or gsc organisation's users have original addresses in its domains
(or under them), so two organisations listing the same domain, or one a domain
under another's, would let one's administrators add users who pass as the
other's people. Domains are registered rarely, by service administrators, so
every change is the next version of this one stream: two registrations at
the same moment cannot both pass the check (the event store's optimistic
concurrency re-runs the loser on fresh state), which claims on single values
could not do for a domain and the domains under it.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.actors import Actor
from domain.base import SemaAggregate
from domain.errors import MailDomainTaken
from domain.naming import domains_overlap

MAIL_DOMAINS_ID = uuid5(NAMESPACE_URL, "sema:mail-domains")


class MailDomains(SemaAggregate):
    class Opened(SemaAggregate.Created):
        """Begun with the domains organisations listed before (a store made before this aggregate)."""

        owners: dict[str, str]  # domain -> organisation id

    class Taken(SemaAggregate.Event):
        domain: str
        organisation_id: UUID

        def apply(self, registry: MailDomains) -> None:
            registry.owners[self.domain] = str(self.organisation_id)

    class GivenUp(SemaAggregate.Event):
        domain: str
        organisation_id: UUID

        def apply(self, registry: MailDomains) -> None:
            registry.owners.pop(self.domain, None)

    def __init__(self, *, owners: dict[str, str]) -> None:
        self.owners = dict(owners)

    @classmethod
    def open(cls, owners: dict[str, UUID], by: Actor, at: datetime) -> MailDomains:
        return cls._new(cls.Opened, MAIL_DOMAINS_ID, by, at, owners={d: str(o) for d, o in sorted(owners.items())})

    def take(self, domain: str, organisation_id: UUID, by: Actor, at: datetime) -> None:
        """``organisation_id`` lists ``domain`` (checked by the caller), unless another
        organisation lists it, a domain under it, or one above it."""
        for listed, owner in sorted(self.owners.items()):
            if owner != str(organisation_id) and domains_overlap(domain, listed):
                raise MailDomainTaken(domain=domain, listed=listed)
        if self.owners.get(domain) != str(organisation_id):
            self._record(self.Taken, by, at, domain=domain, organisation_id=organisation_id)

    def give_up(self, domain: str, organisation_id: UUID, by: Actor, at: datetime) -> None:
        if self.owners.get(domain) == str(organisation_id):
            self._record(self.GivenUp, by, at, domain=domain, organisation_id=organisation_id)
