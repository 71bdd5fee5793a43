"""The policy runner: what time makes due, done by the system.

Given ``now``, it reads the due-work read model (``projections.due``) and
issues the commands through the application service, as a system actor:
purge users 30 days after deletion, expire one-time passwords, challenges
and exceptional-access grants, and send the inactive-mailbox alert.

It decides nothing itself. Every command re-checks its rule on the aggregate
at ``now`` (a user undeleted a second ago is refused purging; a mailbox used
since is not alerted), so the read model only has to say what *may* be due.
That makes the runner idempotent and safe to run concurrently: a second pass,
or a second runner in another process, meets ``AlreadySo`` or
``RuleViolated`` from the aggregate, or loses the event store's optimistic
concurrency check and re-runs on fresh state to meet them — never a second
purge or a second alert. After downtime it simply finds more due.

Commands are timestamped with ``now``, the moment the system acted: a purge
after a week of downtime says so in the history.
"""

from __future__ import annotations

import heapq
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy.orm import Session

from domain.actors import system_actor
from domain.errors import ConcurrencyConflict, DomainError, NotFound, RuleViolated
from projections.due import Due, DueItem
from policies.mailer import Mailer
from sema import logs
from sema.application import SemaApplication
from sema.clock import Clock

log = logs.get("sema.policies")

PAGE = 500


@dataclass
class TickReport:
    """What one pass did: per policy, how many commands took effect, how many
    were already done or no longer due (someone else acted), and failures."""

    now: datetime
    done: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        parts = [f"{kind}: {self.done[kind]} done" + (f", {self.skipped[kind]} skipped" if self.skipped[kind] else "") + (f", {self.failed[kind]} failed" if self.failed[kind] else "") for kind in Due.KINDS if self.done[kind] or self.skipped[kind] or self.failed[kind]]
        return f"{self.now.isoformat()} " + ("; ".join(parts) if parts else "nothing due")


class PolicyRunner:
    def __init__(self, app: SemaApplication) -> None:
        assert app.projections is not None, "build the application with sema.bootstrap"
        self.app = app
        self.projections = app.projections
        self.due: Due = app.projections.by_name(["due"])[0]  # type: ignore[assignment]

    def tick(self, now: datetime) -> TickReport:
        """One pass over everything due at ``now``."""
        self._catch_up()
        report = TickReport(now)
        for item in heapq.merge(*(self._due(kind, now) for kind in Due.KINDS), key=lambda i: (i.due_at, Due.KINDS.index(i.kind))):
            self._act(item, now, report)
        return report

    def _due(self, kind: str, now: datetime) -> Iterator[DueItem]:
        """Things of one kind due at ``now``, oldest first. Merged across kinds, a
        late pass acts in the order a punctual one would have (a deleted user's
        one-time password expires before the user is purged), so catching up
        after downtime writes the same history, only later."""
        after: DueItem | None = None
        while True:
            with Session(self.app.engine) as session:
                page = self.due.page(session, kind, now, after, PAGE)
            yield from page
            if len(page) < PAGE:
                return
            after = page[-1]

    def _catch_up(self) -> None:
        """Inline projections keep the due read model current; when they are off
        (a follower keeps the read models), apply what it has not seen yet."""
        if self.projections.process_inline not in self.app.inline_processors:
            self.projections.catch_up(["due"])

    def _act(self, item: DueItem, now: datetime, report: TickReport) -> None:
        actor = system_actor(_ACTORS[item.kind])
        try:
            if item.kind == "purge_user":
                self.app.purge_user(actor, now, UUID(item.target_id))
            elif item.kind == "expire_one_time_password":
                self.app.expire_one_time_password(actor, now, UUID(item.target_id))
            elif item.kind == "expire_challenge":
                self.app.expire_challenge(actor, now, UUID(item.target_id))
            elif item.kind == "expire_exceptional_access":
                assert item.grant_id is not None and item.grant_kind is not None  # DueItem of a grant
                self.app.expire_exceptional_access(actor, now, item.grant_kind, UUID(item.target_id), UUID(item.grant_id))
            elif item.kind == "send_inactivity_alert":
                self.app.send_inactivity_alert(actor, now, UUID(item.target_id))
            elif item.kind == "purge_list":
                self.app.purge_distribution_list(actor, now, UUID(item.target_id))
        except (RuleViolated, NotFound, ConcurrencyConflict) as error:
            # Already done, or no longer due (undeleted, used, answered...): the aggregate said so.
            report.skipped[item.kind] += 1
            log.debug("policy skipped", policy=item.kind, target_id=item.target_id, reason=error.message)
        except DomainError as error:
            report.failed[item.kind] += 1
            log.warning("policy refused", policy=item.kind, target_id=item.target_id, reason=error.message)
        else:
            report.done[item.kind] += 1


_ACTORS = {
    "purge_user": "purge",
    "expire_one_time_password": "expiry",
    "expire_challenge": "expiry",
    "expire_exceptional_access": "expiry",
    "send_inactivity_alert": "inactivity-alert",
    "purge_list": "purge",
}


class PolicyLoop:
    """The policies in a background thread: every ``interval`` seconds, one
    :meth:`PolicyRunner.tick` at the clock's time, then one mail delivery
    pass (``policies.mailer``; skipped when ``SEMA_SMTP_URL`` is unset, so
    notices wait in the outbox).

    ``sema serve`` starts one beside the HTTP API unless
    ``SEMA_POLICIES_IN_SERVER=false``; ``sema policies run`` runs the same
    loop in the foreground. Several loops (several servers) may run against
    one PostgreSQL store: commands are re-checked on the aggregates and the
    mailer claims each message before sending, so nothing is done twice.

    ``start()`` returns at once; ``stop()`` asks the loop to finish its
    current pass and waits for it. A failing pass is logged and the loop goes
    on. ``interval`` defaults to ``Settings.policy_interval_s``.
    """

    def __init__(self, app: SemaApplication, clock: Clock, interval: float | None = None, mailer: Mailer | None = None) -> None:
        self.app = app
        self.clock = clock
        self.interval = interval if interval is not None else app.settings.policy_interval_s
        if self.interval <= 0:
            raise ValueError("policy_interval_s: must be positive")
        self.runner = PolicyRunner(app)
        self.mailer = mailer if mailer is not None else Mailer(app, clock)
        self.passes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the policy loop is already running")
        self._thread = threading.Thread(target=self._run, name="sema-policies", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Asks the loop to end after its current pass, without waiting (safe in a signal handler)."""
        self._stop.set()

    def stop(self, timeout: float | None = 30.0) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if not thread.is_alive():
                self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        """Waits for the loop to end (after :meth:`stop`, or for ever)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def run_once(self) -> None:
        """One pass; every line it logs carries the pass id and the system actor."""
        with logs.bound(pass_id=uuid4().hex, actor="system:policies"):
            report = self.runner.tick(self.clock.now())
            if report.done or report.failed:
                log.info("policies pass", summary=report.summary())
            if self.mailer.configured:
                delivery = self.mailer.deliver()
                if delivery.sent or delivery.deferred or delivery.failed:
                    log.info("mail delivery pass", summary=delivery.summary())
        self.passes += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - the loop must outlive one bad pass
                log.exception("policy pass failed", retry_in_s=self.interval)
            self._stop.wait(self.interval)
