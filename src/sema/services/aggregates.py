"""Loading aggregates for a command: by id and type, translating the store's
not-found into ours, and — for administrators — only what they administer."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.utils import get_topic
from sqlalchemy import select

from domain.actors import Actor
from domain.base import SemaAggregate
from domain.distribution_list import DistributionList
from domain.errors import DistributionListNotFound, MailboxNotFound, NotFound, OrganisationNotFound, UserNotFound
from domain.mail_domains import MAIL_DOMAINS_ID, MailDomains
from domain.mailbox import Mailbox, MailboxKind
from domain.organisation import Organisation
from domain.permissions import require_administers, require_administrator, require_service_administrator
from domain.user import User
from sema.services.aggregate_cache import AggregateCache

A = TypeVar("A", bound=SemaAggregate)
O = TypeVar("O", User, Mailbox, DistributionList)


def replay(aggregate: SemaAggregate | None, events: Iterable[Any]) -> SemaAggregate | None:
    """The library's ``project_aggregate`` without its ``assert isinstance(event,
    CanMutateProtocol)``: on Python 3.11 a runtime protocol check walks the
    protocol's members each time, and cost as much as decoding the event
    (issue 12's profile of a one-user command). Our events are the library's."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class Aggregates:
    def __init__(self, repository: Repository, service_organisation_id: Callable[[], UUID | None], cache: AggregateCache | None = None) -> None:
        self.repository = repository
        self.cache = cache
        self._find_service_organisation_id = service_organisation_id
        self._service_organisation_id: UUID | None = None

    def service_organisation_id(self) -> UUID | None:
        """Found once (it never changes once made), then remembered."""
        if self._service_organisation_id is None:
            self._service_organisation_id = self._find_service_organisation_id()
        return self._service_organisation_id

    def require_administers(self, actor: Actor, organisation_id: UUID, not_found: NotFound) -> None:
        require_administers(actor, organisation_id, not_found, self.service_organisation_id())

    def _get(self, cls: type[A], aggregate_id: UUID, not_found: Callable[[UUID], NotFound]) -> A:
        try:
            aggregate = self._load(aggregate_id)
        except AggregateNotFoundError:
            raise not_found(aggregate_id) from None
        if not isinstance(aggregate, cls):
            raise not_found(aggregate_id)
        return aggregate

    def _load(self, aggregate_id: UUID) -> Any:
        """The repository's ``get``, its latest snapshot and the events after it read by
        one select where the store can (``sema.persistence``), not two."""
        repository = self.repository
        snapshots, events = repository.snapshot_store, repository.event_store
        cached = self.cache.take(aggregate_id) if self.cache is not None else None
        if cached is not None:  # the events recorded since, by anyone
            aggregate = replay(cached, map(events.mapper.to_domain_event, events.recorder.select_events(aggregate_id, gt=cached.version)))
            self.cache.touched((aggregate,))  # type: ignore[union-attr]
            return aggregate
        read_both = getattr(events.recorder, "select_snapshot_and_events", None)
        if snapshots is None or read_both is None or repository.cache is not None:
            return repository.get(aggregate_id, projector_func=replay)
        snapshot, stored = read_both(aggregate_id, snapshots.recorder)
        found = [snapshots.mapper.to_domain_event(snapshot)] if snapshot is not None else []
        aggregate = replay(None, [*found, *map(events.mapper.to_domain_event, stored)])
        if aggregate is None:
            raise AggregateNotFoundError(aggregate_id)
        if self.cache is not None:
            self.cache.touched((aggregate,))
        return aggregate

    def mail_domains(self) -> MailDomains | None:
        """The registry of the organisations' mail domains; ``None`` in a store made before it."""
        try:
            registry = self._load(MAIL_DOMAINS_ID)
        except AggregateNotFoundError:
            return None
        assert isinstance(registry, MailDomains)
        return registry

    def organisation_ids(self) -> list[UUID]:
        """Every organisation ever registered (organisations are never removed), from the
        event store: what a registry begun in an older store starts from."""
        recorder = self.repository.event_store.recorder
        table = recorder.events_record_cls.__table__  # type: ignore[attr-defined]
        with recorder.transaction(commit=False) as session:  # type: ignore[attr-defined]
            found = session.execute(select(table.c.originator_id).where(table.c.topic == get_topic(Organisation.Registered)))
            return [i if isinstance(i, UUID) else UUID(str(i)) for i in found.scalars()]

    def user(self, user_id: UUID) -> User:
        return self._get(User, user_id, UserNotFound)

    def organisation(self, organisation_id: UUID) -> Organisation:
        return self._get(Organisation, organisation_id, OrganisationNotFound)

    def mailbox(self, mailbox_id: UUID) -> Mailbox:
        return self._get(Mailbox, mailbox_id, MailboxNotFound)

    def distribution_list(self, list_id: UUID) -> DistributionList:
        return self._get(DistributionList, list_id, DistributionListNotFound)

    # ----------------------------------------------- what an administrator administers

    def administered_user(self, actor: Actor, user_id: UUID) -> User:
        return self._administered(actor, User, user_id, UserNotFound)

    def administered_organisation(self, actor: Actor, organisation_id: UUID) -> Organisation:
        self.require_administers(actor, organisation_id, OrganisationNotFound(organisation_id))
        return self.organisation(organisation_id)

    def organisation_for_service_administrator(self, actor: Actor, organisation_id: UUID) -> Organisation:
        """What only the service's administrators change (an organisation's name, its mail domains)."""
        require_service_administrator(actor)
        return self.organisation(organisation_id)

    def administered_mailbox(self, actor: Actor, mailbox_id: UUID) -> Mailbox:
        return self._administered(actor, Mailbox, mailbox_id, MailboxNotFound)

    def administered_group_mailbox(self, actor: Actor, mailbox_id: UUID) -> Mailbox:
        """What the group-mailbox paths find: a group mailbox not deleted. A personal
        mailbox or a deleted group mailbox is not found there, as the read side
        (``GET /group-mailboxes/{id}``) answers for it."""
        mailbox = self.administered_mailbox(actor, mailbox_id)
        if mailbox.kind != MailboxKind.GROUP or mailbox.purged:
            raise MailboxNotFound(mailbox_id)
        return mailbox

    def administered_list(self, actor: Actor, list_id: UUID) -> DistributionList:
        return self._administered(actor, DistributionList, list_id, DistributionListNotFound)

    def _administered(self, actor: Actor, cls: type[O], aggregate_id: UUID, not_found: Callable[[UUID], NotFound]) -> O:
        """Permission first (no existence leak to non-administrators), then the organisation."""
        require_administrator(actor)
        aggregate = self._get(cls, aggregate_id, not_found)
        self.require_administers(actor, aggregate.organisation_id, not_found(aggregate_id))
        return aggregate

    def own_user(self, actor: Actor) -> User:
        """Anyone, auditors included, looks after their own password and security information."""
        return self.user(UUID(actor.id))
