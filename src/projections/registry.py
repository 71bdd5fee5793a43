"""Every read model of the service, in one list (the composition root uses it)."""

from __future__ import annotations

from projections.address_book import AddressBook
from projections.admin_search import AdminSearch
from projections.directory import Directory
from projections.due import Due
from projections.framework import ReadModel
from projections.grants import Grants
from projections.ledger import Ledger
from projections.mail import MailSystem
from projections.outbox import Outbox
from projections.principals import Principals
from projections.routing import Routing


def all_read_models() -> list[ReadModel]:
    return [Directory(), AdminSearch(), Routing(), MailSystem(), AddressBook(), Grants(), Ledger(), Due(), Outbox(), Principals()]
