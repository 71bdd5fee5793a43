"""What every service module is given: settings, the runner, aggregate loading,
claims, the credential store, randomness for secrets, and new ids."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from sema.config import Settings
from sema.credentials import CredentialStore, SecretSource
from sema.services.aggregates import Aggregates
from sema.services.claims import Claims
from sema.services.runner import CommandRunner


@dataclass(frozen=True)
class ServiceContext:
    settings: Settings
    runner: CommandRunner
    aggregates: Aggregates
    claims: Claims
    credentials: CredentialStore
    secrets: SecretSource
    new_id: Callable[[], UUID]


class Service:
    """A service module's class: thin commands over :class:`ServiceContext`."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self.settings = context.settings
        self.run = context.runner.run
        self.aggregates = context.aggregates
        self.claims = context.claims
        self.credentials = context.credentials
