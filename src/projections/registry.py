"""Every read model of the service, in one list (the composition root uses it)."""

from __future__ import annotations

from projections.framework import ReadModel
from projections.ledger import Ledger


def all_read_models() -> list[ReadModel]:
    return [Ledger()]
